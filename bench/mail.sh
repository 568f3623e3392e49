#!/usr/bin/env bash
# Email throughput: N queued messages (platform.send_email) sent by one worker through pooled
# SMTP connections into a local aiosmtpd sink (crates/procure/tests/support/smtp_sink.py).
# Usage: bench/mail.sh [N]   (default 5000; needs a release build, sqlite3 and aiosmtpd)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/procure
n=${1:-5000}
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=18825
python3 crates/procure/tests/support/smtp_sink.py "$port" "$work/received" > /dev/null & pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export DATA_DIR=$work/data LOG_FORMAT=text RUST_LOG=warn MAIL_SERVER=127.0.0.1 MAIL_PORT=$port MAIL_USE_TLS=false
"$bin" migrate >/dev/null
payload='{"sender":"default","to":["vendor@example.com"],"subject":"Bench","text":"Hello from the benchmark.","html":"<p>Hello from the <b>benchmark</b>.</p>","message_id":"<bench@localhost>"}'
# Each message its own Message-ID: a message already sent is never sent again.
sqlite3 "$DATA_DIR/procure.db" "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
  INSERT INTO jobs (job_type, payload, priority, status, attempts, max_attempts, run_at)
  SELECT 'platform.send_email', replace('$payload', '<bench@', '<bench-' || i || '@'), 0, 'queued', 0, 6, 0 FROM s;"
start=$(date +%s.%N)
"$bin" worker > "$work/worker.log" 2>&1 & pids+=($!)
while [ "$(ls "$work/received" | grep -c '\.eml$')" -lt "$n" ]; do
  sleep 0.05
  if (( $(echo "$(date +%s.%N) - $start > 300" | bc) )); then echo "not done in 300 s" >&2; tail "$work/worker.log"; exit 1; fi
done
end=$(date +%s.%N)
elapsed=$(echo "$end - $start" | bc)
echo "$n messages through SMTP in ${elapsed}s = $(echo "$n / $elapsed" | bc) messages/s (one worker, 40 concurrent sends on a pool of 40 connections, including start-up)"
