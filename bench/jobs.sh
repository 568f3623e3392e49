#!/usr/bin/env bash
# Job throughput: N no-op jobs (platform.noop) inserted straight into the queue table, then two
# `procure worker` processes drain it; reports jobs/s from the first claim to an empty queue.
# Usage: bench/jobs.sh sqlite|postgres [N]   (default N = 20000; needs a release build, and for
# postgres a server at $BENCH_DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/procure
backend=${1:?sqlite or postgres}
n=${2:-20000}
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export DATA_DIR=$work/data LOG_FORMAT=text RUST_LOG=warn

case "$backend" in
  sqlite)
    "$bin" migrate >/dev/null
    db="$DATA_DIR/procure.db"
    sql() { sqlite3 "$db" "$1"; }
    sql "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
         INSERT INTO jobs (job_type, payload, priority, status, attempts, max_attempts, run_at)
         SELECT 'platform.noop', '{}', 0, 'queued', 0, 4, 0 FROM s;"
    ;;
  postgres)
    admin=${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    name=procure_bench_$$
    psql "$admin" -qc "CREATE DATABASE $name"
    trap 'cleanup; psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"' EXIT
    export DATABASE_URL=${admin%/*}/$name
    "$bin" migrate >/dev/null
    sql() { psql "$DATABASE_URL" -Atqc "$1"; }
    sql "INSERT INTO jobs (job_type, payload, priority, status, attempts, max_attempts, run_at)
         SELECT 'platform.noop', '{}', 0, 'queued', 0, 4, 0 FROM generate_series(1, $n);"
    ;;
  *) echo "sqlite or postgres" >&2; exit 1 ;;
esac

start=$(date +%s.%N)
for i in 1 2; do "$bin" worker >"$work/worker-$i.log" 2>&1 & pids+=($!); done
while [ "$(sql 'SELECT COUNT(*) FROM jobs')" != 0 ]; do
  sleep 0.05
  if (( $(echo "$(date +%s.%N) - $start > 300" | bc) )); then echo "not drained in 300 s" >&2; exit 1; fi
done
end=$(date +%s.%N)
rss=$(for p in "${pids[@]}"; do awk '/VmHWM/ {print $2}' /proc/$p/status; done | paste -sd' ')
elapsed=$(echo "$end - $start" | bc)
echo "$backend: $n no-op jobs, 2 workers, drained in ${elapsed}s = $(echo "$n / $elapsed" | bc) jobs/s (including worker start-up); worker peak RSS kB: $rss"
