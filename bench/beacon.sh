#!/usr/bin/env bash
# Beacon scenarios (issue 6's targets), loopback only, bounded in time:
# 1. publish one opportunity to BENCH_VENDORS (10,000) subscribed vendors: a release-build
#    `procure worker` sends through pooled SMTP connections into the aiosmtpd sink; the harness
#    is the bench target crates/procure/benches/beacon_publish.rs (`cargo bench --bench
#    beacon_publish`: time from the approval to the last message accepted, duplicates, the
#    worker's peak RSS);
# 2. `procure demo --scale 10000` (500 open opportunities among them) and wrk -t2 -c16 on the
#    open-opportunities page and an opportunity page, with the web role's peak RSS.
# SQLite by default; BENCH_DATABASE=postgres (with TEST_DATABASE_URL) for the publish scenario
# on PostgreSQL, DATABASE_URL=postgres://… (an empty database) for the pages on PostgreSQL.
# Usage: bench/beacon.sh [DURATION]   (results go to bench/out/; needs aiosmtpd and wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=$target/release/procure
duration=${1:-20s}
out=bench/out; mkdir -p "$out"
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }

echo "== publish to ${BENCH_VENDORS:-10000} vendors (${BENCH_DATABASE:-sqlite})"
PROCURE_TEST_BIN=$bin cargo bench --locked -q -p procure --bench beacon_publish 2>&1 \
  | grep -E "messages to|panicked" | tee "$out/beacon-publish.txt"

data=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$data"' EXIT
port=18769
base=http://127.0.0.1:$port
export DATA_DIR="$data" PORT=$port
if [ -n "${DATABASE_URL:-}" ]; then "$bin" migrate; fi
echo "== procure demo --scale 10000"
"$bin" demo --scale 10000 2>&1 | grep -v INFO
LOG_FORMAT=mozlog "$bin" web > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "$base/__lbheartbeat__" >/dev/null && break; sleep 0.05; done
listed=$(curl -s "$base/beacon/" | grep -c 'href="/beacon/opportunities/[0-9]' || true)
id=$(curl -s "$base/beacon/" | grep -m1 -o '/beacon/opportunities/[0-9][0-9]*' || true)
echo "the open-opportunities page lists $listed opportunities"
run() {
  echo "== wrk -t2 -c16 -d$duration $1 ($2)"
  wrk -t2 -c16 -d"$duration" --latency "$base$2" | tee "$out/beacon-$1.txt"
}
run open-opportunities /beacon/
run opportunity-page "$id"
echo "web peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
