#!/usr/bin/env bash
# Foundation scenarios: start-up time, and wrk on /__lbheartbeat__ and the home page with the
# process's peak RSS. Loopback only, bounded in time. Needs wrk (apt-get install wrk) and a
# release build (cargo build --release -p procure).
# Usage: bench/foundation.sh [DURATION]   (default 20s; results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/procure
duration=${1:-20s}
out=bench/out; mkdir -p "$out"
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }

echo "== start-up"
python3 bench/startup.py "$bin" 21 | tee "$out/startup.txt"

data=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
PORT=18766 DATA_DIR="$data" LOG_FORMAT=mozlog "$bin" web > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18766/__lbheartbeat__ >/dev/null && break; sleep 0.05; done
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)" | tee "$out/rss.txt"
for path in /__lbheartbeat__ /; do
  echo "== wrk -t2 -c64 -d$duration $path"
  wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:18766$path" | tee "$out/wrk$(echo "$path" | tr '/' '_').txt"
done
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)" | tee -a "$out/rss.txt"
