#!/usr/bin/env bash
# Issue 12: 1,000 concurrent keep-alive connections (wrk -t2 -c1000) on a cached page (a contract
# page, anonymous: served from the page cache) and on a signed-in page (/profile as a superadmin:
# session, user and roles on every request), then the number of errors, which must be 0: socket
# errors (connect, read, write, timeout at 20 s) and answers other than 2xx/3xx. Also the web
# role's peak RSS and its open connections after the run. SQLite, `procure demo --scale 200`.
# Loopback only, bounded in time. Needs wrk. The binary: $BIN, else the release build, else the
# debug build (say which in RESULTS.md: a debug build is several times slower).
# Usage: bench/load.sh [DURATION]   (default 20s; results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=${BIN:-$target/release/procure}
[ -x "$bin" ] || bin=$target/debug/procure
[ -x "$bin" ] || { echo "build first: cargo build -p procure" >&2; exit 1; }
duration=${1:-20s}
out=bench/out; mkdir -p "$out"
ulimit -n 8192 2>/dev/null || true
[ "$(ulimit -n)" -ge 2200 ] || { echo "raise the open-file limit (ulimit -n) above 2200" >&2; exit 1; }

. bench/lib.sh
fresh_site 18771
echo "== $("$bin" version) ($bin)" | tee "$out/load.txt"
"$bin" demo --scale 200 >/dev/null 2>&1
serve_web
cookie=$(superadmin_cookie bench@example.org)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/profile")
[ "$code" = 200 ] || { echo "/profile answered $code" >&2; exit 1; }
contract=$(curl -s "$base/scout/search?q=900000" | grep -m1 -o '/scout/contracts/[0-9][0-9]*' || true)
[ -n "$contract" ] || { echo "no contract page found" >&2; exit 1; }

status=0
run() {
  local name=$1; shift
  echo "== wrk -t2 -c1000 -d$duration --timeout 20s $name" | tee -a "$out/load.txt"
  wrk -t2 -c1000 -d"$duration" --timeout 20s --latency "$@" | tee "$out/load-$name.txt" | tee -a "$out/load.txt"
  local socket non2xx
  socket=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out/load-$name.txt")
  non2xx=$(awk '/Non-2xx or 3xx/ {print $NF}' "$out/load-$name.txt")
  echo "errors: ${socket:-0} socket, ${non2xx:-0} non-2xx/3xx" | tee -a "$out/load.txt"
  [ "${socket:-0}" = 0 ] && [ "${non2xx:-0}" = 0 ] || status=1
}
run cached-contract-page "$base$contract"
run signed-in-profile -H "Cookie: $cookie" "$base/profile"
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)" | tee -a "$out/load.txt"
sleep 1
echo "connections still open to the server 1 s after the load: $(ss -Htn state established "( sport = :$PORT )" | wc -l)" | tee -a "$out/load.txt"
exit $status
