#!/usr/bin/env bash
# Accounts scenarios: what signing in costs per request. wrk on the sign-in form (anonymous),
# the home page and an admin list as a signed-in admin (session, user and roles loaded on every
# request), and the time of a password sign-in (argon2id). Loopback only, bounded in time.
# Needs wrk and a release build (cargo build --release -p procure).
# Usage: bench/accounts.sh [DURATION]   (default 20s; results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/procure
duration=${1:-20s}
out=bench/out; mkdir -p "$out"
[ -x "$bin" ] || { echo "build first: cargo build --release -p procure" >&2; exit 1; }

. bench/lib.sh
fresh_site 18767
export PASSWORD_LOGIN=1
serve_web
cookie=$(superadmin_cookie bench@example.org)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/admin/departments/")
[ "$code" = 200 ] || { echo "admin list answered $code" >&2; exit 1; }

run() {
  local name=$1; shift
  echo "== wrk -t2 -c64 -d$duration $name"
  wrk -t2 -c64 -d"$duration" --latency "$@" | tee "$out/accounts-$name.txt"
}
run sign-in-form "$base/sign-in"
run home-signed-in -H "Cookie: $cookie" "$base/"
run admin-departments -H "Cookie: $cookie" "$base/admin/departments/"
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)" | tee "$out/accounts-rss.txt"

# Password sign-in: set one, then time five sign-ins (the throttle allows five per 15 minutes).
pw='a long evaluation passphrase'
curl -s -o /dev/null -H "Cookie: $cookie" -H "Origin: $base" --data-urlencode "password=$pw" --data-urlencode "confirm=$pw" "$base/profile/password"
echo "== password sign-in, 5 sequential requests (seconds)" | tee "$out/accounts-password.txt"
for _ in 1 2 3 4 5; do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Origin: $base" \
    --data-urlencode "email=bench@example.org" --data-urlencode "password=$pw" "$base/sign-in/password"
done | tee -a "$out/accounts-password.txt"
