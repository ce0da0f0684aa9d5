#!/bin/sh
# SPDX-License-Identifier: MIT
# chipmunk-updater with no discovery section (the built-ins, consensus 2) against loopback
# stand-ins, inside a network namespace that has only loopback: a real BIND answering the
# OpenDNS and Google questions (the default order's first two operators), and a plain-HTTP
# echo (python3 -m http.server) for two HTTPS built-ins pointed at it through the test-only
# CHIPMUNK_TEST_BUILTIN_OVERRIDE. Discovery only (update_dns = no). Prints the median wall
# time of RUNS one-shot runs and the daemon's VmRSS 2 s after start, per configuration, next
# to a command source (no network) as the floor. Compare with inadyn's figures from
# bench/compare_ddclient_inadyn.sh (docs/BENCHMARKS.md).
#
#   sudo bench/builtin_discovery.sh [BUILD_DIR]      (needs root for unshare -n)
set -eu
if [ "${CHIPMUNK_BENCH_IN_NETNS:-}" != 1 ]; then
  exec unshare -n env CHIPMUNK_BENCH_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up
BUILD=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
UPDATER="$BUILD/updater/chipmunk-updater"
RUNS=${RUNS:-11}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null || true; sleep 0.3; rm -rf "$W"' EXIT
PORT=15353
HTTP_PORT=18080

zone() {  # file class records
  printf '$TTL 300\n@ %s SOA ns.x. a.x. 1 3600 600 86400 300\n@ %s NS localhost.\n%s\n' \
    "$2" "$2" "$3" > "$W/$1"
}
zone o.db IN 'myip IN A 8.8.4.4'
zone g.db IN 'o-o.myaddr IN TXT "8.8.4.4"'
cat > "$W/named.conf" <<CONF
options { directory "$W"; pid-file "$W/named.pid.file"; session-keyfile "$W/s.key";
  managed-keys-directory "$W"; listen-on port $PORT { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; };
controls { };
zone "opendns.com" { type primary; file "$W/o.db"; };
zone "l.google.com" { type primary; file "$W/g.db"; };
CONF
/usr/sbin/named -g -n 1 -c "$W/named.conf" > "$W/named.out" 2>&1 &
echo $! > "$W/named.pid"
mkdir -p "$W/www/ifconfig.co" "$W/www/cloudflare-trace/cdn-cgi" "$W/state"
printf '{"ip":"8.8.4.4"}' > "$W/www/ifconfig.co/json"
printf 'h=x\nip=8.8.4.4\nts=1\n' > "$W/www/cloudflare-trace/cdn-cgi/trace"
(cd "$W/www" && exec python3 -m http.server -b 127.0.0.1 $HTTP_PORT) > "$W/http.out" 2>&1 &
echo $! > "$W/http.pid"
sleep 2

base="[Global]
update_dns = no
state_dir = $W/state
"
printf '%s' "$base" > "$W/dns.ini"
printf '%s[Discovery]\norder = ifconfig.co, cloudflare-trace\nconsensus = 2\n' "$base" > "$W/http.ini"
printf '%s[source:c]\ntype = command\ncommand = echo 8.8.4.4\n' "$base" > "$W/command.ini"
export CHIPMUNK_TEST_BUILTIN_OVERRIDE="dns4=127.0.0.1:$PORT,https4=http://127.0.0.1:$HTTP_PORT"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf '%-28s %12s %16s\n' configuration "one-shot ms" "daemon RSS MB"
for c in dns http command; do
  "$UPDATER" --config "$W/$c.ini" --once > "$W/$c.check" 2>&1 ||
    { echo "builtin_discovery.sh: $c failed:"; cat "$W/$c.check"; exit 1; }
  i=0
  : > "$W/$c.times"
  while [ $i -lt "$RUNS" ]; do
    s=$(date +%s%N)
    "$UPDATER" --config "$W/$c.ini" --once > /dev/null 2>&1
    e=$(date +%s%N)
    echo $(( (e - s) / 1000 )) >> "$W/$c.times"
    i=$((i + 1))
  done
  "$UPDATER" --config "$W/$c.ini" > /dev/null 2>&1 &
  pid=$!
  echo $pid > "$W/$c.pid"
  sleep 2
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$W/$c.pid"
  printf '%-28s %12s %16s\n' "$c" \
    "$(median < "$W/$c.times" | awk '{printf "%.1f", $1 / 1000}')" \
    "$(echo "$rss" | awk '{printf "%.1f", $1 / 1024}')"
done
