#!/bin/sh
# SPDX-License-Identifier: MIT
# Compares chipmunk-updater with Debian's ddclient and inadyn doing the same job: read the
# address from chipmunk-api's /get/ip and push it with dyndns2 to chipmunk-api's
# /nic/update, all on 127.0.0.1 inside a network namespace that has only loopback (both
# peers fall back to public services on their own). Two rounds: plain HTTP, then HTTPS
# (chipmunk-api's own TLS with a throw-away certificate that every client is told to
# trust). Prints, per round: the median wall time of a forced one-shot update (RUNS runs
# each) and the resident memory (VmRSS) of each running as a daemon after its first
# update, with ratios to inadyn; then where the updater's resident memory is (per mapped
# file) in each round.
#
#   sudo bench/compare_ddclient_inadyn.sh [BUILD_DIR]     (needs root for unshare -n)
#   ROUNDS="http" to skip the HTTPS round; RUNS=N one-shot runs per client (default 11).
#   BASELINE=/path/to/other/build: also times that build's chipmunk-updater (same API, same
#   configuration, run right after this build's) as chipmunk-updater@base, and prints
#   new / baseline for the one-shot time and the daemon RSS (before/after a change).
# ddclient needs libio-socket-ssl-perl for the HTTPS round (scripts/install-deps.sh --tests).
set -eu
if [ "${CHIPMUNK_BENCH_IN_NETNS:-}" != 1 ]; then
  exec unshare -n env CHIPMUNK_BENCH_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up

BUILD=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
API="$BUILD/api/chipmunk-api"
UPDATER="$BUILD/updater/chipmunk-updater"
BASE_UPDATER=
if [ -n "${BASELINE:-}" ]; then
  BASE_UPDATER="$(cd "$BASELINE" && pwd)/updater/chipmunk-updater"
  [ -x "$BASE_UPDATER" ] || { echo "compare_ddclient_inadyn.sh: no $BASE_UPDATER" >&2; exit 2; }
fi
RUNS=${RUNS:-11}
ROUNDS=${ROUNDS:-"http https"}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null || true; sleep 0.3; rm -rf "$W"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

# write_configs SCHEME PORT: the API's and the three clients' files for one round.
write_configs() {
  scheme=$1
  port=$2
  tls=false
  tls_lines=
  if [ "$scheme" = https ]; then
    tls=true
    tls_lines="tls_certificate = $W/cert.pem
tls_key = $W/key.pem"
  fi
  mkdir -p "$W/data-$scheme"
  cat > "$W/api-$scheme.ini" <<INI
[Server]
listen = 127.0.0.1:$port
public_ip_endpoints = yes
$tls_lines
[Paths]
client_update_dir = $W/data-$scheme
[Log]
level = warn
[Users]
alice = secret
[Hosts]
home.example.com = alice
[DynDNS]
abuse_nochg_limit = 100000
INI
  cat > "$W/updater.ini" <<INI
[Global]
allow_private = yes
state_dir = state
log_level = warn
ca_file = $W/cert.pem
[Daemon]
interval = 300
[source:api]
type = web
url = $scheme://127.0.0.1:$port/get/ip
regex = IP:\\s+(\\S+)
[dyndns2]
server = $scheme://127.0.0.1:$port
username = alice
password = secret
[record:home]
provider = dyndns2
host = home
domain = example.com
INI
  cat > "$W/inadyn.conf" <<INI
period = 300
verify-address = false
ca-trust-file = $W/cert.pem
custom local {
    ssl = $tls
    username = alice
    password = secret
    checkip-server = 127.0.0.1:$port
    checkip-path = /get/ip
    checkip-ssl = $tls
    ddns-server = 127.0.0.1:$port
    ddns-path = "/nic/update?hostname=%h&myip=%i"
    hostname = home.example.com
}
INI
  cat > "$W/ddclient.conf" <<INI
daemon=300
ssl=$([ "$tls" = true ] && echo yes || echo no)
ssl_ca_file=$W/cert.pem
use=web, web=$scheme://127.0.0.1:$port/get/ip, web-skip='IP:'
protocol=dyndns2
server=127.0.0.1:$port
login=alice
password=secret
home.example.com
INI
  chmod 600 "$W/ddclient.conf"
}

# start_api SCHEME PORT: starts chipmunk-api and waits for its port.
start_api() {
  "$API" --config "$W/api-$1.ini" > "$W/api-$1.out" 2>&1 &
  echo $! > "$W/api-$1.pid"
  i=0
  until (exec 3<>/dev/tcp/127.0.0.1/"$2") 2>/dev/null || [ $i -ge 100 ]; do
    sleep 0.05; i=$((i + 1))
  done 2>/dev/null || true
  sleep 0.3
}

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

oneshot() {  # name, command...; prints the median wall time in microseconds
  name=$1; shift
  : > "$W/$name.times"
  n=0
  while [ $n -lt "$RUNS" ]; do
    rm -rf "$W/state"/* "$W/inadyn-cache"/* "$W/ddclient.cache"
    t0=$(now_ns)
    "$@" > "$W/$name.out" 2>&1 || true
    t1=$(now_ns)
    echo $(( (t1 - t0) / 1000 )) >> "$W/$name.times"
    n=$((n + 1))
  done
  if ! grep -Eqi "$CHECK" "$W/$name.out"; then
    echo "warning: $name did not report success; its output:" >&2
    cat "$W/$name.out" >&2
  fi
  median < "$W/$name.times"
}

daemon_rss() {  # name, command...; prints VmRSS in kB after the first update
  name=$1; shift
  rm -rf "$W/state"/* "$W/inadyn-cache"/* "$W/ddclient.cache"
  "$@" > "$W/$name.daemon.out" 2>&1 &
  pid=$!
  echo $pid > "$W/$name.pid"
  sleep 2
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  # Where the resident memory is: kB per mapped file (anonymous memory as [anon]).
  awk '/^[0-9a-f]+-[0-9a-f]+ / { f = ($6 == "") ? "[anon]" : $6 }
       /^Rss:/ { r[f] += $2 }
       END { for (f in r) if (r[f] > 0) printf "  %6d kB  %s\n", r[f], f }' \
    "/proc/$pid/smaps" 2>/dev/null | sort -rn > "$W/$name.smaps" || true
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  rm -f "$W/$name.pid"
  echo "${rss:-0}"
}

case " $ROUNDS " in *" https "*)
  perl -MIO::Socket::SSL -e 1 2>/dev/null ||
    echo "warning: ddclient cannot do HTTPS here: apt-get install libio-socket-ssl-perl" >&2 ;;
esac
mkdir -p "$W/state" "$W/inadyn-cache"
port=18080
for scheme in $ROUNDS; do
  write_configs "$scheme" "$port"
  start_api "$scheme" "$port"

  CHECK='updated|unchanged'
  u_ms=$(oneshot updater "$UPDATER" --config "$W/updater.ini" --once --force)
  u_rss=$(daemon_rss updater "$UPDATER" --config "$W/updater.ini")
  cp "$W/updater.smaps" "$W/updater-$scheme.smaps"
  if [ -n "$BASE_UPDATER" ]; then
    b_ms=$(oneshot updater-base "$BASE_UPDATER" --config "$W/updater.ini" --once --force)
    b_rss=$(daemon_rss updater-base "$BASE_UPDATER" --config "$W/updater.ini")
  fi
  CHECK='success|good|nochg|update'
  i_ms=$(oneshot inadyn inadyn --once --force -n -f "$W/inadyn.conf" \
    --cache-dir "$W/inadyn-cache" -P "$W/inadyn.run.pid" -l info)
  i_rss=$(daemon_rss inadyn inadyn -n -f "$W/inadyn.conf" --cache-dir "$W/inadyn-cache" \
    -P "$W/inadyn.run.pid" --force)
  CHECK='SUCCESS|nochg'
  d_ms=$(oneshot ddclient ddclient -daemon=0 -foreground -force -verbose \
    -file "$W/ddclient.conf" -cache "$W/ddclient.cache")
  d_rss=$(daemon_rss ddclient ddclient -daemon=300 -foreground -force \
    -file "$W/ddclient.conf" -cache "$W/ddclient.cache")

  awk -v um="$u_ms" -v im="$i_ms" -v dm="$d_ms" -v ur="$u_rss" -v ir="$i_rss" -v dr="$d_rss" \
      -v runs="$RUNS" -v scheme="$scheme" 'BEGIN {
    printf "%s: one run, loopback-only netns, medians of %d one-shot runs\n", scheme, runs
    printf "%-18s %12s %10s %12s %10s\n", "client", "one-shot ms", "vs inadyn", "daemon RSS MB", "vs inadyn"
    printf "%-18s %12.1f %10.2f %12.1f %10.2f\n", "chipmunk-updater", um/1000, um/im, ur/1024, ur/ir
    printf "%-18s %12.1f %10.2f %12.1f %10.2f\n", "inadyn", im/1000, 1, ir/1024, 1
    printf "%-18s %12.1f %10.2f %12.1f %10.2f\n", "ddclient", dm/1000, dm/im, dr/1024, dr/ir
  }'
  if [ -n "$BASE_UPDATER" ]; then
    awk -v um="$u_ms" -v bm="$b_ms" -v ur="$u_rss" -v br="$b_rss" 'BEGIN {
      printf "%-22s %8.1f ms %8.1f MB\n", "chipmunk-updater@base", bm/1000, br/1024
      printf "new / baseline: one-shot time %.2f, daemon RSS %.2f (lower is better)\n",
        (bm > 0 ? um/bm : 0), (br > 0 ? ur/br : 0)
    }'
  fi
  echo
  kill "$(cat "$W/api-$scheme.pid")" 2>/dev/null || true
  rm -f "$W/api-$scheme.pid"
  port=$((port + 1))
done

for scheme in $ROUNDS; do
  echo "$scheme: chipmunk-updater daemon, resident memory by mapping (/proc/PID/smaps):"
  cat "$W/updater-$scheme.smaps"
done
