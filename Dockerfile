# Procure's Dockerflow image (https://github.com/mozilla-services/Dockerflow):
# one image for every role, chosen by the command: web (default), worker, scheduler, migrate,
# check --deploy, version. All configuration comes from the environment (docs/configuration.md).
#
#   docker build \
#     --build-arg PROCURE_GIT_SHA="$(git rev-parse HEAD)" \
#     --build-arg PROCURE_BUILD_URL="$CI_JOB_URL" \
#     --build-arg PROCURE_SOURCE_URL="$(git config --get remote.origin.url)" \
#     -t procure .
#   docker run --rm -p 8000:8000 --env-file .env procure            # web
#   docker run --rm --env-file .env procure worker                   # another role, another container
#
# Health for the load balancer: GET /__lbheartbeat__ (no HEALTHCHECK here, as Dockerflow says).

# ---- build ----------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build

# C/C++ toolchain for aws-lc-sys (cmake), ring and the bundled SQLite.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake gcc g++ make pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY assets ./assets

# The commit and CI job recorded in version.json. .git is not in the build context, so the
# commit and source come only from these arguments (empty when not given).
ARG PROCURE_GIT_SHA=""
ARG PROCURE_BUILD_URL=""
ARG PROCURE_SOURCE_URL=""
ENV PROCURE_GIT_SHA=${PROCURE_GIT_SHA} \
    PROCURE_BUILD_URL=${PROCURE_BUILD_URL} \
    PROCURE_SOURCE_URL=${PROCURE_SOURCE_URL}

RUN cargo build --release --locked -p procure \
 && ./target/release/procure version --json > /version.json \
 && cat /version.json

# ---- runtime --------------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home app

WORKDIR /app
COPY --from=build /src/target/release/procure /usr/local/bin/procure
COPY --from=build /version.json /app/version.json
# DATA_DIR: the SQLite database, local uploads and the email outbox when no Postgres, S3 or
# SMTP is configured. Mount a volume here to keep them, or configure those backends.
RUN mkdir -p /app/data && chown app:app /app/data

ENV PORT=8000 \
    DATA_DIR=/app/data

USER app
EXPOSE 8000

ENTRYPOINT ["procure"]
CMD ["web"]
