#!/usr/bin/env bash
# Conductor scenarios (issues 15 and 16), loopback only, bounded in time:
# `procure demo --scale 10000` (10,000 contracts; 2,000 renewals in progress over the bid
# flow's stages), then, signed in as a superadmin,
# 1. the index of everyone's work in progress, each request another page/sort
#    (bench/conductor-index.lua; target ≥ 1,000 req/s, p99 < 20 ms on SQLite), at -c16 and -c8,
#    searching it, the demo conductor's own index, and /profile beside them as the floor;
# 2. the metrics of the bid flow (bench/conductor-metrics.lua; target ≥ 500 req/s), and with
#    every request making its figures; the all-contracts export (target < 1 s, streamed);
# 3. transitions: "Mark complete" on the items in turn (bench/conductor-transition.lua; target
#    ≥ 500/s), each one transaction with its log entries and event;
# and the web role's peak RSS. SQLite by default; DATABASE_URL=postgres://… (an empty database)
# for PostgreSQL. Needs wrk and a release build (cargo build --release -p procure).
# Usage: bench/conductor.sh [DURATION]   (default 20s; results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
bin=$target/release/procure
duration=${1:-20s}
out=bench/out; mkdir -p "$out"
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }

. bench/lib.sh
fresh_site 18771
if [ -n "${DATABASE_URL:-}" ]; then "$bin" migrate; fi
echo "== procure demo --scale 10000"
/usr/bin/time -f "demo: %e s, peak RSS %M kB" "$bin" demo --scale 10000 2>&1 | grep -v INFO | tee "$out/conductor-demo.txt"
serve_web
cookie=$(superadmin_cookie bench@example.org)
rows=$(curl -s -H "Cookie: $cookie" "$base/conductor/?who=all" | grep -c 'id="item-' || true)
[ "$rows" -gt 0 ] || { echo "the index lists no work in progress" >&2; exit 1; }
echo "the index lists $rows items per page"

echo "== wrk -t2 -c16 -d$duration index, everyone's (every request another page and sort)"
wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $cookie" -s bench/conductor-index.lua "$base" | tee "$out/conductor-index.txt"
echo "== the same at -c8"
wrk -t2 -c8 -d"$duration" --latency -H "Cookie: $cookie" -s bench/conductor-index.lua "$base" | tee "$out/conductor-index-c8.txt"
echo "== wrk -t2 -c16 -d$duration searching everyone's (another word every request)"
SEARCH=1 wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $cookie" -s bench/conductor-index.lua "$base" \
  | tee "$out/conductor-search.txt"
# The demo's conductor holds the work: their own index, as it opens ("only mine").
own=$(superadmin_cookie jordan.rivera@example.gov)
echo "== wrk -t2 -c16 -d$duration index, only mine, as the demo's conductor"
WHO=mine wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $own" -s bench/conductor-index.lua "$base" \
  | tee "$out/conductor-index-mine.txt"
echo "== /profile (a signed-in page without a list: the floor)"
wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $cookie" "$base/profile" | tee "$out/conductor-profile.txt"

# Metrics (issue 16): the demo's bid flow holds the 2,000 items in progress and their
# completed stages (about 5,000).
flow=$(curl -s -H "Cookie: $cookie" "$base/conductor/metrics/" | grep -o '/conductor/metrics/[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
if [ -n "$flow" ]; then  # (a build from before the metrics has none)
  echo "== wrk -t2 -c16 -d$duration metrics of flow $flow (another stage, page and filter every request)"
  FLOW=$flow wrk -t2 -c16 -d"$duration" --latency -H "Cookie: $cookie" -s bench/conductor-metrics.lua "$base" \
    | tee "$out/conductor-metrics.txt"
  echo "web peak RSS so far: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
  echo "== wrk -t2 -c8 -d$duration metrics, every request making its figures (another date range each)"
  MISS=1 FLOW=$flow wrk -t2 -c8 -d"$duration" --latency -H "Cookie: $cookie" -s bench/conductor-metrics.lua "$base" \
    | tee "$out/conductor-metrics-miss.txt"
  before=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  echo "== the all-contracts export (web peak RSS before: $before kB)"
  curl -s -H "Cookie: $cookie" -o "$out/conductor-all.tsv" -w 'all-contracts export: %{size_download} bytes in %{time_total} s\n' \
    "$base/conductor/export?format=tsv" | tee "$out/conductor-export.txt"
  echo "rows: $(($(wc -l < "$out/conductor-all.tsv") - 1)); web peak RSS after: $(awk '/VmHWM/ {print $2}' /proc/$pid/status) kB" \
    | tee -a "$out/conductor-export.txt"
fi

items=$(curl -s -H "Cookie: $cookie" "$base/conductor/?who=all" | grep -o '[0-9]* items' | head -1 | cut -d' ' -f1)
echo "== wrk -t2 -c8 -d10s transitions over $items items"
ITEMS=$items BASE=$base wrk -t2 -c8 -d10s --latency -H "Cookie: $cookie" -s bench/conductor-transition.lua "$base" \
  | tee "$out/conductor-transition.txt"
echo "web peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)" | tee "$out/conductor-rss.txt"
