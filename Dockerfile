# Procure's Dockerflow image (https://github.com/mozilla-services/Dockerflow):
# one image for every role, chosen by the command: web (default), worker, scheduler, websocket,
# migrate, check --deploy, createsuperuser, version. All configuration comes from the
# environment (docs/configuration.md); docs/deploy.md walks through a deployment.
#
#   docker build \
#     --build-arg PROCURE_GIT_SHA="$(git rev-parse HEAD)" \
#     --build-arg PROCURE_BUILD_URL="$CI_JOB_URL" \
#     --build-arg PROCURE_SOURCE_URL="$(git config --get remote.origin.url)" \
#     -t procure .
#   docker run --rm -p 8000:8000 --env-file .env procure            # web
#   docker run --rm --env-file .env procure worker                   # another role, another container
#
# A token in the source URL (https://user:token@host/...) is removed before it is recorded.
# Behind a TLS-intercepting proxy, give the build the proxy's CA bundle as a secret; cargo
# then trusts it while fetching crates (nothing of it reaches the image):
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt ...
# Builds keep the crate registry and compiled dependencies in cache mounts (BuildKit, podman),
# so a change to Procure's own code recompiles only Procure's crates.
#
# Health for the load balancer: GET /__lbheartbeat__ (no HEALTHCHECK here, as Dockerflow says).
# The processes run as uid/gid 10001; DATA_DIR (/app/data) must be writable by it.

# Base images, overridable for mirrors and air-gapped builds.
ARG RUST_IMAGE=rust:1.95-slim-bookworm
# Debian 12's glibc, libgcc, OpenSSL's libssl, CA certificates and time zones, and no shell or
# package manager: what the binary needs (it links only glibc and libgcc), at a fifth of
# debian:bookworm-slim's size. Built from the same Debian release as the build stage.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12

# ---- build ----------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS build

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

# The registry and target folders are cache mounts: they outlive this build, so the binary is
# copied out of target/ within the same step. What they keep is the compiled dependencies:
# Procure's own sources are touched first, so its crates always compile afresh (cargo compares
# modification times, and a copied file can be older than a cached build of an earlier copy).
RUN --mount=type=cache,id=procure-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=procure-target,target=/src/target \
    --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi \
 && find crates assets -type f -exec touch {} + \
 && cargo build --release --locked -p procure \
 && install -D -m 0755 target/release/procure /out/usr/local/bin/procure \
 && /out/usr/local/bin/procure version --json > /out/version.json \
 && cat /out/version.json \
 && install -d -m 0750 /out/app/data

# ---- runtime --------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

COPY --from=build /out/usr/local/bin/procure /usr/local/bin/procure
COPY --from=build /out/version.json /app/version.json
# DATA_DIR: the SQLite database, local uploads and the email outbox when no Postgres, S3 or
# SMTP is configured. Mount a volume here to keep them (owned by uid 10001), or configure
# those backends.
COPY --from=build --chown=10001:10001 /out/app/data /app/data

WORKDIR /app
ENV PORT=8000 \
    DATA_DIR=/app/data \
    HOME=/app

USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["/usr/local/bin/procure"]
CMD ["web"]
