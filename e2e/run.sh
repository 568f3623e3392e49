#!/usr/bin/env bash
# Browser end-to-end tests: starts Procure (every role) on a free port with an empty, temporary data folder,
# waits for /__lbheartbeat__, runs `node --test` on e2e/tests/*.test.js against it (BASE_URL) in
# headless Chromium, stops the server, and exits with the tests' status.
#
#   bash e2e/run.sh                      # tests ../target/debug/procure (from the repo root)
#   bash e2e/run.sh tests/live.test.js   # only these test files (paths relative to e2e/)
#   PROCURE_BIN=target/release/procure bash e2e/run.sh
#
# Needs Node.js 20+ with npm and Debian's Chromium (apt-get install chromium) at /usr/bin/chromium
# (or CHROMIUM_PATH). Never `npx playwright install`: browser downloads fail on these machines.
# Environment: PROCURE_BIN, CHROMIUM_PATH, E2E_STARTUP_TIMEOUT (seconds, default 20),
# E2E_TOTAL_TIMEOUT (seconds for the whole node run, default 360), E2E_KEEP=1 keeps the temp folder,
# E2E_ARTIFACTS (where screenshots go, default e2e/artifacts).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/.." && pwd)

PROCURE_BIN=${PROCURE_BIN:-$REPO_ROOT/target/debug/procure}
case "$PROCURE_BIN" in /*) ;; *) PROCURE_BIN="$PWD/$PROCURE_BIN" ;; esac
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
STARTUP_TIMEOUT=${E2E_STARTUP_TIMEOUT:-20}
TOTAL_TIMEOUT=${E2E_TOTAL_TIMEOUT:-360}

die() { echo "e2e: $*" >&2; exit 2; }
[ -x "$PROCURE_BIN" ] || die "no executable at PROCURE_BIN=$PROCURE_BIN (build it first: cargo build)"
[ -x "$CHROMIUM_PATH" ] || die "no Chromium at $CHROMIUM_PATH (apt-get install -y chromium)"
command -v node >/dev/null || die "node is not installed"

cd "$E2E_DIR"
if [ "$#" -gt 0 ]; then TEST_FILES=("$@"); else TEST_FILES=(tests/*.test.js); fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  echo "e2e: installing node_modules (npm ci)"
  npm ci --no-audit --no-fund
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/procure-e2e.XXXXXX")
SERVER_PID=
TESTS_PID=
cleanup() {
  local status=$?
  if [ -n "$TESTS_PID" ]; then
    kill -TERM "$TESTS_PID" 2>/dev/null || true
    wait "$TESTS_PID" 2>/dev/null || true
  fi
  if [ -n "$SERVER_PID" ]; then
    # The server leads its own process group (setsid): stop it and anything it started.
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "---- e2e: last lines of the server log ($WORK/server.log) ----" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  if [ "${E2E_KEEP:-}" = 1 ]; then echo "e2e: kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

heartbeat() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));' "$1"
}

# Sample contracts for the Scout pages (the original's own test file), the demo's Beacon data
# (contract types that take opportunities, opportunities, bid documents), and the NIGP
# categories vendors choose from when they sign up.
mkdir -p "$WORK/data"
(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" import contracts "$REPO_ROOT/../shared/data/pittsburgh/mock/old_contracts.csv" \
  && env -i PATH="$PATH" HOME="$WORK" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" demo --scale 1 \
  && env -i PATH="$PATH" HOME="$WORK" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" import nigp "$REPO_ROOT/../shared/data/pittsburgh/files/2015-07-01-nigp-cleaned.csv") >"$WORK/import.log" 2>&1 \
  || { cat "$WORK/import.log" >&2; die "importing the sample data failed"; }

# Start the server; retry on another port if the one picked was taken meanwhile.
BASE_URL=
for attempt in 1 2 3; do
  PORT=$(free_port)
  mkdir -p "$WORK/data"
  # A clean environment (and a working directory without a .env) so a developer's settings,
  # such as DATABASE_URL or CSP_ENABLED, cannot change what is tested. APP_URL is the address
  # the browser uses: the live pages' websocket opens only from the site's own origin.
  (cd "$WORK" && exec setsid env -i PATH="$PATH" HOME="$WORK" APP_URL="http://127.0.0.1:$PORT" \
      PORT="$PORT" BIND_ADDRESS=127.0.0.1 DATA_DIR="$WORK/data" LOG_FORMAT=text \
      "$PROCURE_BIN") >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if heartbeat "http://127.0.0.1:$PORT/__lbheartbeat__"; then BASE_URL="http://127.0.0.1:$PORT"; break; fi
    sleep 0.2
  done
  [ -n "$BASE_URL" ] && break
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    die "server did not answer /__lbheartbeat__ within ${STARTUP_TIMEOUT}s"
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  if grep -qi 'address already in use' "$WORK/server.log"; then
    echo "e2e: port $PORT was taken, retrying" >&2
    continue
  fi
  die "server exited during startup"
done
[ -n "$BASE_URL" ] || die "could not start the server"
echo "e2e: $PROCURE_BIN serving on $BASE_URL (data in $WORK/data)"

export BASE_URL
# Every role runs (the worker writes sign-in emails to the outbox the tests read), and a
# superadmin exists with a one-time link, as `createsuperuser` gives an operator.
export OUTBOX_DIR="$WORK/data/outbox"
ADMIN_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-admin@example.org 2>>"$WORK/server.log")
export ADMIN_LINK
# A second superadmin approves the opportunity a staff member drafts in tests/beacon.test.js.
APPROVER_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-approver@example.org 2>>"$WORK/server.log")
export APPROVER_LINK
# The tour of every page (tests/tour.test.js) signs in as a superadmin of its own.
TOUR_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-tour@example.org 2>>"$WORK/server.log")
export TOUR_LINK
# The back-office journeys (tests/admin.test.js) sign in as a superadmin of their own, who gives
# a name the audit log then shows.
STAFF_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-staff@example.org 2>>"$WORK/server.log")
export STAFF_LINK
# The live pages (tests/live.test.js) post and approve opportunities as a superadmin of their own.
LIVE_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-live@example.org 2>>"$WORK/server.log")
export LIVE_LINK
# Conductor's journey (tests/conductor.test.js) signs in as a superadmin of its own.
CONDUCTOR_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-conductor@example.org 2>>"$WORK/server.log")
export CONDUCTOR_LINK
# API access (tests/api_access.test.js): personal tokens and API clients, by a superadmin of its own.
API_LINK=$(cd "$WORK" && env -i PATH="$PATH" HOME="$WORK" APP_URL="$BASE_URL" PORT="$PORT" DATA_DIR="$WORK/data" \
  "$PROCURE_BIN" createsuperuser --email e2e-api@example.org 2>>"$WORK/server.log")
export API_LINK
# Screenshots of the pages the tests visit, at both widths, for a person to look at afterwards
# (E2E_ARTIFACTS, default e2e/artifacts; emptied at each run, never committed).
export ARTIFACTS_DIR=${E2E_ARTIFACTS:-$E2E_DIR/artifacts}
rm -rf "$ARTIFACTS_DIR" && mkdir -p "$ARTIFACTS_DIR"
# Chromium's temporary profile (--user-data-dir, made by Playwright) goes in $WORK too.
mkdir -p "$WORK/tmp"
# In the background, so that a signal to this script is handled at once (see cleanup).
TMPDIR="$WORK/tmp" timeout --kill-after=10 "$TOTAL_TIMEOUT" \
  node --test --test-reporter=spec --test-timeout=240000 "${TEST_FILES[@]}" &
TESTS_PID=$!
set +e
wait "$TESTS_PID"
status=$?
set -e
TESTS_PID=
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "e2e: the tests did not finish within ${TOTAL_TIMEOUT}s" >&2
fi
exit "$status"
