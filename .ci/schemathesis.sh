#!/usr/bin/env bash
# Schemathesis (an API fuzzer, from PyPI) against /api/openapi.json, on SQLite and on PostgreSQL:
# every check, NUL bytes allowed in generated strings, a bounded number of examples per
# operation. Each run serves the demo data from a fresh data folder (and, on PostgreSQL, a fresh
# database), so the stateful phase finds real contracts, companies and opportunities to follow.
# The authenticated operations are fuzzed with an access token of the configured client
# (CLIENT_ID, acting for a superadmin with every scope), the token endpoint with the client's
# credentials, and the `ignored_auth` check calls them without (schemathesis.toml, per run). Exits non-zero on any finding; called by .ci/run
# after the build.
#
#   bash .ci/schemathesis.sh                       # target/debug/procure, both databases
#   PROCURE_BIN=target/release/procure SCHEMATHESIS_EXAMPLES=500 bash .ci/schemathesis.sh
#
# Environment: PROCURE_BIN, TEST_DATABASE_URL (a PostgreSQL user that may create databases;
# required: the PostgreSQL run is part of the check), SCHEMATHESIS_EXAMPLES (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
BIN=${PROCURE_BIN:-target/debug/procure}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
PG_URL=${TEST_DATABASE_URL:?TEST_DATABASE_URL must name the PostgreSQL server for the PostgreSQL run}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-100}

[ -x "$BIN" ] || { echo "schemathesis: no executable at $BIN (cargo build first)" >&2; exit 2; }
if [ "$(schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$VERSION" ]; then
  pip install -q "schemathesis==$VERSION"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/procure-schemathesis.XXXXXX")
SERVER_PID=
PG_DB=
cleanup() {
  local status=$?
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qc "drop database if exists \"$PG_DB\" with (force)" || true; fi
  if [ "$status" -ne 0 ]; then report >&2 || true; fi
  rm -rf "$WORK"
  exit "$status"
}
# On failure: the end of each server log, cut short, then what schemathesis found, last, so that
# it is what a log read from its end shows first.
report() {
  local log out
  for log in "$WORK"/*/server.log; do
    [ -f "$log" ] || continue
    echo "==> $log (any 5xx, then the last lines)"
    grep 'code=5[0-9][0-9] ' "$log" | head -n 3 | cut -c1-300
    tail -n 8 "$log" | cut -c1-300
  done
  for out in "$WORK"/*/schemathesis.out; do
    [ -f "$out" ] || continue
    echo "==> $out"
    sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,/^=* WARNINGS =*$/p' "$out" | head -n 60
    sed -n '/^=* SUMMARY =*$/,$p' "$out"
  done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# fuzz NAME [DATABASE_URL]: serve the demo data on a free port and run every check against it.
fuzz() {
  local name=$1 database=${2:-} dir="$WORK/$1" port
  mkdir -p "$dir"
  port=$(free_port)
  local client=fuzz-client secret
  secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  # The token's limit far above what the fuzzer sends: a 429 is not what it looks for.
  local -a env=(DATA_DIR="$dir" PORT="$port" PROCURE_ENV=development
    CLIENT_ID="$client" CLIENT_SECRET="$secret" CLIENT_OWNER=fuzz@example.gov
    API_RATE_LIMIT=1000000/60 API_TOKEN_LIFETIME=86400)
  [ -n "$database" ] && env+=(DATABASE_URL="$database")
  env "${env[@]}" "$BIN" migrate >"$dir/migrate.log" 2>&1
  env "${env[@]}" "$BIN" demo >"$dir/demo.log" 2>&1
  env "${env[@]}" "$BIN" createsuperuser --email fuzz@example.gov --no-link >"$dir/user.log" 2>&1
  env "${env[@]}" "$BIN" web >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/__lbheartbeat__" >/dev/null 2>&1 && break
    sleep 0.5
  done
  PROCURE_FUZZ_TOKEN=$(curl -fsS -u "$client:$secret" -d grant_type=client_credentials \
    "http://127.0.0.1:$port/api/oauth/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  PROCURE_FUZZ_CLIENT=$client PROCURE_FUZZ_SECRET=$secret
  export PROCURE_FUZZ_TOKEN PROCURE_FUZZ_CLIENT PROCURE_FUZZ_SECRET
  # A made-up or stale ETag in If-Match is schema-valid and rightly refused with 412.
  cat >"$dir/schemathesis.toml" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 412, 429]

# The security schemes of the document, by name: the token, and the client's own credentials.
[auth.openapi.bearer]
bearer = "${PROCURE_FUZZ_TOKEN}"

[auth.openapi.client_basic]
username = "${PROCURE_FUZZ_CLIENT}"
password = "${PROCURE_FUZZ_SECRET}"

# Writes: a made-up department, a blank description or a date in the past has the right
# shape and is refused for its content (422); a made-up number or id is no record (404).
[[operations]]
include-path-regex = "^/api/v1/(contracts/by-controller/|opportunities/drafts(/[^/]+)?$)"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 413, 422, 429]

# A vendor's subscriptions: categories that do not exist, opportunities not followed (422).
[[operations]]
include-path-regex = "^/api/v1/vendors/[^/]+/subscriptions"
checks.positive_data_acceptance.expected-statuses = ["2xx", 404, 422]

# Documents: a multipart body whose part headers cannot be read is refused (400).
[[operations]]
include-path-regex = "/documents$"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 413, 422, 429]
TOML
  echo "== schemathesis on $name (port $port, $EXAMPLES examples per operation)"
  # From the scratch directory: schemathesis keeps a .schemathesis/ cache where it runs. One
  # worker: with two threads, CPython 3.11's compile() (which hypothesis calls to describe its
  # filters) now and then fails with "AST constructor recursion depth mismatch"
  # (a race between threads in the AST constructor), an error in the fuzzer, not in the API.
  (cd "$dir" && schemathesis run "http://127.0.0.1:$port/api/openapi.json" \
    --checks all --generation-allow-x00 true --max-examples "$EXAMPLES" \
    --generation-database none --workers 1 --no-color --seed 1) 2>&1 | tee "$dir/schemathesis.out"
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
  # A server error anywhere is a finding, even one no check caught.
  if grep -q 'code=5[0-9][0-9] ' "$dir/server.log"; then
    echo "schemathesis: the server answered 5xx on $name:" >&2
    grep 'code=5[0-9][0-9] ' "$dir/server.log" | head -n 5 >&2
    return 1
  fi
}

fuzz sqlite
PG_DB="procure_schemathesis_$$"
psql "$PG_URL" -qc "create database \"$PG_DB\""
fuzz postgres "$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$PG_URL" "$PG_DB")"
echo "schemathesis: no findings on SQLite or PostgreSQL"
