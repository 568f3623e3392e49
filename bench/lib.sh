# Shared by the bench scripts (source it): a web process on a fresh data folder, and a session
# signed in through the real link flow.

# fresh_site PORT: a new temporary DATA_DIR (removed on exit, with the web process if one was
# started), PORT and APP_URL exported; sets $data and $base.
fresh_site() {
  data=$(mktemp -d); pid=
  trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$data"' EXIT
  base=http://127.0.0.1:$1
  export DATA_DIR="$data" PORT=$1 APP_URL=$base
}

# serve_web: starts `$bin web` (mozlog, output discarded) and waits until it answers; sets $pid.
serve_web() {
  LOG_FORMAT=mozlog "$bin" web >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do curl -fs "$base/__lbheartbeat__" >/dev/null && break; sleep 0.05; done
}

# superadmin_cookie EMAIL: creates a superadmin, signs in with the emailed-link flow and prints
# the session cookie (`procure_session=…`); fails if sign-in did not give one.
superadmin_cookie() {
  local link jar cookie
  link=$("$bin" createsuperuser --email "$1" 2>/dev/null)
  jar=$(mktemp -p "$data" cookies.XXXX)
  curl -s -c "$jar" -b "$jar" -o /dev/null "$link"
  curl -s -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" --data-urlencode "token=${link#*token=}" "$base/sign-in/link"
  cookie=$(awk '$6 == "procure_session" {print $6 "=" $7}' "$jar")
  [ -n "$cookie" ] || { echo "sign-in failed" >&2; return 1; }
  echo "$cookie"
}
