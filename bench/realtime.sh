#!/usr/bin/env bash
# Issue 14, "Performance": websockets served by one `procure websocket` process (release build),
# on SQLite and on PostgreSQL.
# - idle: BENCH_SOCKETS (10,000) websockets opened from the harness, each reading its hello; the
#   server's RSS with none, at 1,000, 2,000, 5,000 and all, after BENCH_IDLE_HOLD (35) s (a ping
#   round) and after closing them; KB per connection (target <= 20 KB);
# - burst: BENCH_CLIENTS (1,000) websockets; BENCH_EVENTS (1,000) events recorded in one
#   transaction straight into the deployment's outbox; per-delivery latency from the commit
#   (p50/p99/max; target p99 <= 50 ms), deliveries/s, and whether every client got every event
#   exactly once and in order (a client told `lagged` resumes after the highest id it heard, as
#   assets/js/live.js does; BENCH_RESUME=0 to not); then BENCH_TRICKLE (50) events, one
#   transaction each, 200-299 ms apart (one event's latency with nothing queued).
# Each deployment is a fresh folder and database (a new PostgreSQL database per run) migrated by
# the binary under test (`procure migrate`).
# The harness is the bench target crates/procure/benches/realtime.rs, built in the test profile
# (its client sockets are tokio-tungstenite at the dependencies' opt-level 1); the server is
# `cargo build --release -p procure` (built once here; PROCURE_TEST_BIN to run another binary).
# Arguments pick scenarios and backends: idle, burst, sqlite, postgres (none: all).
# Loopback only; bounded (each scenario and backend at most 140 s; about 3 minutes in all).
# Needs TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) for PostgreSQL.
# Usage: bench/realtime.sh [idle|burst] [sqlite|postgres]   (results go to bench/out/realtime.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Both ends of 10,000 sockets: the server and the harness each need more than 10,000 descriptors.
want=$(( ${BENCH_SOCKETS:-10000} + 2000 ))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  echo "the hard limit on open files is $hard; $want are needed (raise it, or lower BENCH_SOCKETS)" >&2
  exit 1
fi
ulimit -n "$want"
target=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${PROCURE_TEST_BIN:-}" ]; then
  cargo build --locked -q --release -p procure
fi
bin=${PROCURE_TEST_BIN:-$target/release/procure}
cargo test --locked -q --workspace --bench realtime --no-run 2>/dev/null
{
  echo "== $("$bin" version) ($bin), commit $(git rev-parse --short HEAD), $(nproc) CPUs, ulimit -n $(ulimit -n)"
  echo "== $(date -u +%FT%TZ) bench/realtime.sh $*; load average $(cut -d" " -f1-3 /proc/loadavg)"
} | tee "$out/realtime.txt"
PROCURE_TEST_BIN=$bin cargo test --locked -q --workspace --bench realtime -- --bench "$@" 2>&1 \
  | grep -E "^(idle|burst|skipped|error|  client)|panicked" | tee -a "$out/realtime.txt"
