#!/usr/bin/env bash
# Issue 18's benchmark in one run: on SQLite, then on PostgreSQL, `procure demo --scale N`
# (default 10,000 contracts, 100,000 line items), then `wrk -t2 -c16` on every scenario with
# the ceiling first (`/__lbheartbeat__`, this binary's cheapest answer): uncached searches that
# differ on every request (bench/search-varied.lua: a common word, a rare word, with filters,
# pages 2..4, the API), the same search repeated (a cache hit), a signed-in home, and a signed-in
# contract page: one repeated, and a different contract on every request. Prints req/s, p50, p99, each scenario's share of the ceiling, the original's figures from
# ../shared/research/original-suite.md §12, and the peak RSS of web, worker and scheduler, which
# run together throughout. Loopback only, bounded in time.
# Usage: bench/compare.sh [SCALE] [DURATION]   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
#        (set PG_ADMIN_URL= to skip PostgreSQL, SKIP_SQLITE=1 to skip SQLite; the database
#        procure_bench is dropped and made)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-$PWD/target/release/procure}
scale=${1:-10000}
duration=${2:-10s}
admin_url=${PG_ADMIN_URL-postgres://postgres@127.0.0.1:5432/postgres}
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
source bench/lib.sh
port=18790

# The original's figures (original-suite.md §12, same data, same wrk): req/s p50 p99.
original() {
  case $1 in
    ceiling) echo "302 (home) 53ms 62ms" ;;
    search-common|search-filtered|search-paged|api-search) echo "7.0 2.3s 2.5s" ;;
    search-rare) echo "10.5 1.5s 1.6s" ;;
    search-repeated) echo "7.6 2.1s 2.2s" ;;
    contract-signed-in|contract-repeated-signed-in) echo "36 (anonymous) 0.42s 0.70s" ;;
    *) echo "—" ;;
  esac
}

# wrk's latency as milliseconds ("850.00us", "1.20ms", "2.10s").
ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# bench NAME PATH [wrk args…]: one scenario; appends a row to $table.
bench() {
  local name=$1 path=$2 out; shift 2
  out=$(wrk -t2 -c16 -d"$duration" --latency "$@" "$base$path")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$ceiling" ] && ceiling=$rps
  printf '| %s | %s | %s ms | %s ms | %s | %s |%s\n' "$name" "$(printf '%.0f' "$rps")" "$p50" "$p99" \
    "$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')" "$(original "$name")" \
    "${non2xx:+ **$non2xx non-2xx**}" >> "$table"
}

# pss_peak PID…: until killed, samples the processes' summed proportional set size (PSS: each
# shared page, like the binary's code, counted once across them) every 0.2 s, keeping the
# highest in kB in $data/pss.
pss_peak() {
  local peak=0 sum
  while sleep 0.2; do
    sum=$(for p in "$@"; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '/^Pss:/ {s += $2} END {print s + 0}')
    [ "${sum:-0}" -gt "$peak" ] && peak=$sum && echo "$peak" > "$data/pss"
  done
}

# run LABEL: the demo data and every scenario on the database in DATABASE_URL (or SQLite).
run() {
  local label=$1
  fresh_site $port
  if [ -n "${DATABASE_URL:-}" ]; then "$bin" migrate >/dev/null 2>&1; fi
  /usr/bin/time -f "%e s, peak RSS %M kB" -o "$data/demo.time" "$bin" demo --scale "$scale" >/dev/null 2>&1
  serve_web
  LOG_FORMAT=mozlog "$bin" worker >/dev/null 2>&1 & local worker=$!
  LOG_FORMAT=mozlog "$bin" scheduler >/dev/null 2>&1 & local scheduler=$!
  local id cookie
  echo 0 > "$data/pss"
  pss_peak "$pid" "$worker" "$scheduler" & local sampler=$!
  id=$(curl -s "$base/scout/search?q=900042" | grep -o '/scout/contracts/[0-9]*' | head -1)
  [ -n "$id" ] || { echo "no contract found for controller number 900042" >&2; exit 1; }
  cookie=$(superadmin_cookie "bench@example.org")
  if [ -n "${DATABASE_URL:-}" ]; then
    sql() { psql -Atq "$DATABASE_URL" -c "$1" | tr '\n' ' '; }
  else
    sql() { sqlite3 "$data/procure.db" "$1" | tr '\n' ' '; }
  fi
  TYPES=$(sql "SELECT id FROM contract_types")
  DEPARTMENTS=$(sql "SELECT id FROM departments")
  # The contracts Scout shows: scout-random-contract.lua picks one per request.
  IDS_FILE="$data/contract-ids"
  sql "SELECT id FROM contracts WHERE is_visible AND NOT is_archived" | tr ' ' '\n' | grep . > "$IDS_FILE"
  export TYPES DEPARTMENTS IDS_FILE
  table=$(mktemp -p "$data"); ceiling=
  # Warm: the first search loads the index (logged by the web process).
  curl -s -o /dev/null "$base/scout/search?q=warm"
  bench ceiling /__lbheartbeat__
  KIND=common bench search-common / -s bench/search-varied.lua
  KIND=rare bench search-rare / -s bench/search-varied.lua
  KIND=filtered bench search-filtered / -s bench/search-varied.lua
  KIND=paged bench search-paged / -s bench/search-varied.lua
  KIND=api bench api-search / -s bench/search-varied.lua
  bench search-repeated "/scout/search?q=maintenance"
  bench home-signed-in / -H "Cookie: $cookie"
  bench contract-repeated-signed-in "$id" -H "Cookie: $cookie"
  bench contract-signed-in / -H "Cookie: $cookie" -s bench/scout-random-contract.lua
  local web worker_rss scheduler_rss
  web=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  worker_rss=$(awk '/VmHWM/ {print $2}' "/proc/$worker/status")
  scheduler_rss=$(awk '/VmHWM/ {print $2}' "/proc/$scheduler/status")
  kill "$sampler" "$worker" "$scheduler" "$pid"; wait "$sampler" "$worker" "$scheduler" "$pid" 2>/dev/null || true
  echo
  echo "### $label, scale $scale ($(nproc) cores, wrk -t2 -c16 -d$duration, commit $(git rev-parse --short HEAD))"
  echo "procure demo --scale $scale: $(cat "$data/demo.time")"
  echo
  echo "| scenario | req/s | p50 | p99 | share of ceiling | original (req/s p50 p99) |"
  echo "|---|---|---|---|---|---|"
  cat "$table"
  echo
  echo "Peak RSS: web $((web / 1024)) MB, worker $((worker_rss / 1024)) MB, scheduler $((scheduler_rss / 1024)) MB, together $(((web + worker_rss + scheduler_rss) / 1024)) MB (each counting the code they share); peak PSS of the three together $(($(cat "$data/pss") / 1024)) MB"
  rm -rf "$data"; trap - EXIT
}

unset DATABASE_URL
[ -n "${SKIP_SQLITE:-}" ] || run SQLite
if [ -n "$admin_url" ]; then
  psql -q "$admin_url" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS procure_bench" -c "CREATE DATABASE procure_bench"
  export DATABASE_URL="${admin_url%/*}/procure_bench"
  run PostgreSQL
fi
