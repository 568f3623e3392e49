#!/usr/bin/env bash
# Scout scenarios (issue 5's targets): `procure demo --scale N` (default 10,000 contracts,
# 100,000 line items, 2,000 companies), then wrk -t2 -c16 on searches for a common word, two
# words, rarer words and a controller number, and on contract pages and the API; peak RSS. SQLite by default; set
# DATABASE_URL=postgres://… (an empty database) for PostgreSQL. Loopback only, bounded in time.
# Usage: bench/scout.sh [SCALE] [DURATION]   (results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/procure
scale=${1:-10000}
duration=${2:-20s}
out=bench/out; mkdir -p "$out"
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }

data=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
port=18768
base=http://127.0.0.1:$port
export DATA_DIR="$data" PORT=$port
if [ -n "${DATABASE_URL:-}" ]; then "$bin" migrate; fi
echo "== procure demo --scale $scale"
/usr/bin/time -f "demo: %e s, peak RSS %M kB" "$bin" demo --scale "$scale" 2>&1 | grep -v INFO | tee "$out/scout-demo.txt"
LOG_FORMAT=mozlog "$bin" web > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "$base/__lbheartbeat__" >/dev/null && break; sleep 0.05; done

id=$(curl -s "$base/scout/search?q=900042" | grep -o '/scout/contracts/[0-9]*' | head -1)
[ -n "$id" ] || { echo "no contract found for the controller number" >&2; exit 1; }
run() {
  local name=$1 path=$2; shift 2
  echo "== wrk -t2 -c16 -d$duration $name ($path $*)"
  wrk -t2 -c16 -d"$duration" --latency "$@" "$base$path" | tee "$out/scout-$name.txt"
}
# Repeated URLs are answered from the cache after the first (keyed by the data version, so
# never stale); the -uncached and random scenarios measure the work behind them.
run common-word "/scout/search?q=maintenance"
WORD=maintenance run common-word-uncached "/" -s bench/search-varied.lua
run two-words "/scout/search?q=salt+bulk"
run rare-words "/scout/search?q=sewickley+paving"
run controller-number "/scout/search?q=900042"
run contract-page "$id"
first=$(curl -s "$base/scout/search?q=900000" | grep -o '/scout/contracts/[0-9]*' | head -1)
export FIRST_ID=${first#/scout/contracts/} LAST_ID=$(( ${first#/scout/contracts/} + scale - 1 ))
run contract-page-random "/" -s bench/scout-random-contract.lua
run api-search "/api/v1/contracts?q=maintenance"
run api-contract "/api/v1${id#/scout}"
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)" | tee "$out/scout-rss.txt"
