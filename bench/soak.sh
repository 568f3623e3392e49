#!/usr/bin/env bash
# Issue 12: a soak. The web role (SQLite, `procure demo --scale 200`) under a steady, modest load
# for DURATION seconds (default 600): wrk -t1 -c8, each connection pausing SOAK_DELAY_MS (20) ms
# between requests, over anonymous pages (home, search, a contract page, the API, Beacon) and
# signed-in ones (/profile, an admin list), new keep-alive connections every 60 s (wrk runs in
# one-minute rounds). The process's RSS is recorded every 10 s (bench/out/soak-rss.csv); the
# report compares the mean of the first minute after a two-minute warm-up with the mean of the
# last minute (drift, expected < 5 %), and counts the errors. Loopback only, bounded in time.
# The binary: $BIN, else the release build, else the debug build (say which in RESULTS.md).
# Usage: bench/soak.sh [DURATION_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=${BIN:-$target/release/procure}
[ -x "$bin" ] || bin=$target/debug/procure
[ -x "$bin" ] || { echo "build first: cargo build -p procure" >&2; exit 1; }
duration=${1:-600}
[ "$duration" -ge 240 ] || { echo "at least 240 s: two minutes of warm-up, then two to compare" >&2; exit 1; }
out=bench/out; mkdir -p "$out"

. bench/lib.sh
fresh_site 18772
echo "== $("$bin" version) ($bin), ${duration} s" | tee "$out/soak.txt"
"$bin" demo --scale 200 >/dev/null 2>&1
serve_web
SOAK_COOKIE=$(superadmin_cookie soak@example.org)
export SOAK_COOKIE
contract=$(curl -s "$base/scout/search?q=900000" | grep -m1 -o '/scout/contracts/[0-9][0-9]*')
export SOAK_PATHS="/ /scout/search?q=maintenance $contract /api/v1/contracts?q=salt /beacon/ /profile /admin/departments/ /about/"

rss_csv=$out/soak-rss.csv
echo "seconds,rss_kb" > "$rss_csv"
started=$(date +%s)
(
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(( $(date +%s) - started )),$(awk '/VmRSS/ {print $2}' /proc/$pid/status)" >> "$rss_csv"
    sleep 10
  done
) &
sampler=$!
rounds=$(( duration / 60 ))
: > "$out/soak-wrk.txt"
for _ in $(seq 1 "$rounds"); do
  wrk -t1 -c8 -d60s --timeout 10s -s bench/soak.lua "$base" >> "$out/soak-wrk.txt"
done
kill "$sampler" 2>/dev/null || true

requests=$(awk '/requests in/ {s += $1} END {print s}' "$out/soak-wrk.txt")
socket=$(awk '/Socket errors/ {gsub(",", ""); s += $4 + $6 + $8 + $10} END {print s + 0}' "$out/soak-wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx/ {s += $NF} END {print s + 0}' "$out/soak-wrk.txt")
awk -F, -v end="$(( rounds * 60 ))" '
  NR > 1 && $1 >= 120 && $1 < 180 { a += $2; na++ }
  NR > 1 && $1 >= end - 60 && $1 < end { b += $2; nb++ }
  NR > 1 && $1 < end { if ($2 > peak) peak = $2 }
  END {
    if (na == 0 || nb == 0) { print "not enough samples"; exit 1 }
    printf "RSS after warm-up (120-180 s) %.1f MB, last minute %.1f MB: drift %+.2f %%; peak %.1f MB\n",
      a / na / 1024, b / nb / 1024, (b / nb - a / na) / (a / na) * 100, peak / 1024
  }' "$rss_csv" | tee -a "$out/soak.txt"
echo "requests: $requests; errors: $socket socket, $non2xx non-2xx/3xx" | tee -a "$out/soak.txt"
