#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs chipmunk-api under valgrind (memcheck) for a short session — /get/ip, /set with a
# changing address, /nic/update, /hosts, a wrong password, a malformed header — then stops
# it with SIGTERM. Fails on any memory error and on any definite or indirect leak; leaks of
# third-party libraries that stay reachable at exit are allowed, and the few known ones that
# valgrind calls "possibly lost" are suppressed in scripts/valgrind-api.supp (documented
# there).
#   scripts/valgrind-api.sh [path/to/chipmunk-api]     (default: build/api/chipmunk-api)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/api_ini.sh"
bin=${1:-$here/../build/api/chipmunk-api}
command -v valgrind >/dev/null || { echo "valgrind-api.sh: valgrind is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "valgrind-api.sh: no binary at $bin" >&2; exit 2; }

dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
write_api_ini "$dir" debug 2
cat >>"$dir/api.ini" <<INI
trusted_proxies = 127.0.0.1
[Users]
alice = alice-valgrind-pw
; Hashed with the fewest iterations allowed: every failed login costs the largest configured
; count (the default 600,000 with no hashed user, many seconds under valgrind).
bob = \$pbkdf2-sha256\$10000\$Pc5shjrUUaXPjOI3v1d9Uw\$hCnywGsi0V22MwU80tJ6FB9L3W11jZJBWlB+Mp7XE+c
[Hosts]
home.example.com = alice
[Store]
flush_interval = 1s
INI

valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
  --suppressions="$here/valgrind-api.supp" --log-file="$dir/valgrind.log" \
  "$bin" --config "$dir/api.ini" --listen 127.0.0.1:0 >"$dir/stdout.txt" 2>"$dir/stderr.txt" &
pid=$!

port=
for _ in $(seq 1 300); do
  port=$(grep -o 'listening address=[^ ]*' "$dir/api.log" 2>/dev/null | sed 's/.*://' | tail -1 || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "valgrind-api.sh: chipmunk-api did not start" >&2
  cat "$dir/stderr.txt" "$dir/valgrind.log" >&2 || true
  exit 1
fi

u="-u alice:alice-valgrind-pw"
base="http://127.0.0.1:$port"
fail=0
check() {  # expected-status curl-args...
  local want=$1
  shift
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@") || got=000
  if [ "$got" != "$want" ]; then
    echo "valgrind-api.sh: $* -> $got, expected $want" >&2
    fail=1
  fi
}
check 200 $u "$base/get/ip"
check 200 $u "$base/get/ip.json"
for ip in 192.0.2.1 192.0.2.2 2001:db8::3; do
  check 200 $u -H "X-Forwarded-For: $ip" "$base/set?note=valgrind"
done
check 200 $u -A valgrind/1 "$base/nic/update?hostname=home.example.com&myip=198.51.100.4"
check 200 $u "$base/hosts"
check 401 -u alice:wrong "$base/get/ip"
check 200 -u bob:bob-valgrind-pw "$base/get/ip"   # a KDF on the slow-auth pool
check 401 -H 'Authorization: Basic %%%' "$base/get/ip"
check 404 $u "$base/nowhere"
# Keep-alive: two requests on one connection.
two=$(curl -s -o /dev/null -o /dev/null -w '%{http_code} ' --max-time 20 $u "$base/get/ip" "$base/healthz" || true)
if [ "$two" != "200 200 " ]; then
  echo "valgrind-api.sh: keep-alive pair -> $two" >&2
  fail=1
fi

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
if [ "$rc" -ne 0 ] || [ -s "$dir/valgrind.log" ]; then
  echo "valgrind-api.sh: FAILED (exit status $rc)" >&2
  cat "$dir/valgrind.log" >&2
  exit 1
fi
if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "valgrind-api.sh: ok (no memory errors, no leaks; exit status 0)"
