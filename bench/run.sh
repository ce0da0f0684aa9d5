#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP throughput of chipmunk-api against nginx and a bare Pistache handler, in one run, on
# loopback, with wrk. Targets (each answers "Your IP:  <peer>"):
#   nginx        Debian's nginx, `return 200 "Your IP:  $remote_addr"`, WORKERS workers
#   hello        bench/pistache_hello: bare Pistache 0.0.5, its own ResponseWriter, WORKERS threads
#   get-plain    chipmunk-api GET /get/ip, Basic auth, plaintext password in [Users]
#   get-hash     chipmunk-api GET /get/ip, Basic auth, $pbkdf2-sha256$ hash (cached after the
#                first verification)
#   set-hash     chipmunk-api GET /set, same user, address unchanged
#   get-log      (only if listed in TARGETS) get-hash with [Log] level = info to a file,
#                chipmunk-api's default level: one log line per request
# Each with three request styles, same wrk threads/connections:
#   plain  HTTP/1.1 without a Connection header (wrk's default; persistent per RFC 9112)
#   ka     -H "Connection: keep-alive"
#   close  -H "Connection: close" (a new TCP connection per request)
# ROUNDS rounds; in each, every style x target is run once, target order rotating per round,
# so that drifting machine load hits all targets alike. Medians over rounds are printed with
# ratios to nginx and the targets' ratios. Everything started here is stopped on exit.
#
# Before/after a change: BASELINE=/path/to/other/build also starts that build's chipmunk-api
# (same configuration) and adds each chipmunk-api target of TARGETS again as <target>@base
# (get-plain@base, get-hash@base, set-hash@base, get-log@base) to the SAME rotated rounds;
# the summary then prints new / baseline per target and style (req/s, and CPU per request).
# Build the baseline from a worktree of the old commit (docs/BENCHMARKS.md).
#
#   bench/run.sh [BUILD_DIR]        (default: build)
#   env: ROUNDS=3 DURATION=3 CLOSE_DURATION=2 CONNECTIONS=64 WRK_THREADS=1 WORKERS=2
#        TARGETS="nginx hello get-plain get-hash set-hash" STYLES="plain ka close"
#        BASELINE=other/build (optional)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
API="$BUILD/api/chipmunk-api"
HELLO="$BUILD/bench/pistache_hello"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
CLOSE_DURATION=${CLOSE_DURATION:-2}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-2}  # chipmunk-api's default [Server] threads
TARGETS=${TARGETS:-"nginx hello get-plain get-hash set-hash"}
STYLES=${STYLES:-"plain ka close"}
BASELINE=${BASELINE:-}
BASE_API=
if [ -n "$BASELINE" ]; then
  BASE_API="$(cd "$BASELINE" && pwd)/api/chipmunk-api"
  for t in $TARGETS; do
    case $t in get-plain | get-hash | set-hash | get-log) TARGETS="$TARGETS $t@base" ;; esac
  done
fi

for tool in wrk nginx curl base64; do
  command -v "$tool" > /dev/null || {
    echo "run.sh: $tool not found (scripts/install-deps.sh --tests)" >&2
    exit 2
  }
done
for bin in "$API" "$HELLO" $BASE_API; do
  [ -x "$bin" ] || {
    echo "run.sh: $bin missing; build it: ninja -C $(dirname "$(dirname "$bin")") chipmunk-api pistache_hello" >&2
    exit 2
  }
done

W=$(mktemp -d /tmp/chipmunk-bench.XXXXXX)
PIDS=()
cleanup() {
  if [ -f "$W/nginx/nginx.pid" ]; then
    kill "$(cat "$W/nginx/nginx.pid")" 2> /dev/null || true
  fi
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/bench/lib.sh"  # free_port, nginx_conf_head, cpu_ticks
wait_port() {  # port: waits up to 10 s for a listener
  local i
  for i in $(seq 1 200); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "run.sh: nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# --- nginx, with its own prefix; worker count matched to the Pistache threads ----------
mkdir -p "$W/nginx/logs" "$W/nginx/tmp"
NGINX_PORT=$(free_port)
cat > "$W/nginx/nginx.conf" << CONF
$(nginx_conf_head "$W/nginx" "$WORKERS")
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=1024;
    default_type text/plain;
    location / { return 200 "Your IP:  \$remote_addr"; }
  }
}
CONF
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log"
wait_port "$NGINX_PORT"

# --- bare Pistache -----------------------------------------------------------------------
HELLO_PORT=$(free_port)
"$HELLO" "$HELLO_PORT" "$WORKERS" > "$W/hello.out" 2>&1 &
PIDS+=($!)
HELLO_PID=$!
wait_port "$HELLO_PORT"

# --- chipmunk-api ------------------------------------------------------------------------
PLAIN_USER=alice
PLAIN_PASS=plain-secret
HASH_USER=bob
HASH_PASS=hashed-secret
HASH=$(printf '%s\n' "$HASH_PASS" | "$API" hash-password)
. "$ROOT/scripts/lib/api_ini.sh"
start_api() {  # name, log level, binary -> sets API_PORT_<name> and API_PID_<name>
  local name=$1 level=$2 bin=$3 port
  port=$(free_port)
  write_api_ini "$W/$name" "$level" "$WORKERS"
  cat >> "$W/$name/api.ini" << INI
listen = 127.0.0.1:$port
[Users]
$PLAIN_USER = $PLAIN_PASS
$HASH_USER = $HASH
INI
  "$bin" --config "$W/$name/api.ini" > "$W/$name/api.out" 2>&1 &
  PIDS+=($!)
  printf -v "API_PID_$name" '%s' "$!"
  wait_port "$port"
  printf -v "API_PORT_$name" '%s' "$port"
}
start_api quiet warn "$API"
case " $TARGETS " in *" get-log "*) start_api logged info "$API" ;; esac
if [ -n "$BASE_API" ]; then
  start_api base_quiet warn "$BASE_API"
  case " $TARGETS " in *" get-log@base "*) start_api base_logged info "$BASE_API" ;; esac
fi
# api_var KIND TARGET [logged]: the value of API_KIND_quiet (or _logged), or of
# API_KIND_base_quiet for a target@base.
api_var() {
  local var="API_$1_"
  case $2 in *@base) var="${var}base_" ;; esac
  var="$var${3:-quiet}"
  echo "${!var:-0}"
}

auth() { printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
PLAIN_AUTH=$(auth "$PLAIN_USER" "$PLAIN_PASS")
HASH_AUTH=$(auth "$HASH_USER" "$HASH_PASS")

url_of() {
  case $1 in
    nginx) echo "http://127.0.0.1:$NGINX_PORT/get/ip" ;;
    hello) echo "http://127.0.0.1:$HELLO_PORT/get/ip" ;;
    get-plain | get-hash | get-plain@base | get-hash@base)
      echo "http://127.0.0.1:$(api_var PORT "$1")/get/ip"
      ;;
    set-hash | set-hash@base) echo "http://127.0.0.1:$(api_var PORT "$1")/set" ;;
    get-log | get-log@base) echo "http://127.0.0.1:$(api_var PORT "$1" logged)/get/ip" ;;
    *)
      echo "run.sh: unknown target $1" >&2
      return 1
      ;;
  esac
}
auth_of() {
  case $1 in
    get-plain*) echo "$PLAIN_AUTH" ;;
    get-hash* | set-hash* | get-log*) echo "$HASH_AUTH" ;;
    *) echo "X-Bench: 1" ;;  # nginx and hello take no credentials
  esac
}

# --- sanity: every target answers as expected; first /set stores, the hash gets cached --
echo "== responses to a plain HTTP/1.1 request (curl, no Connection header)"
for t in $TARGETS; do
  curl -s -D "$W/headers" -o "$W/body" -H "$(auth_of "$t")" "$(url_of "$t")"
  code=$(head -n1 "$W/headers" | tr -d '\r')
  conn=$(grep -i '^connection:' "$W/headers" | tr -d '\r' || true)
  printf '%-14s %-16s %-22s %s\n' "$t" "$code" "${conn:-(no Connection header)}" "$(cat "$W/body")"
  case $t in
    set-hash*) grep -q '"status": "\(saved\|unchanged\)"' "$W/body" ;;
    *) grep -q '^Your IP:  127\.0\.0\.1$' "$W/body" ;;
  esac || {
    echo "run.sh: unexpected answer from $t" >&2
    exit 1
  }
done
for t in set-hash ${BASE_API:+set-hash@base}; do
  curl -s -o /dev/null -H "$HASH_AUTH" "$(url_of "$t")"
  grep -q '"status": "unchanged"' <(curl -s -H "$HASH_AUTH" "$(url_of "$t")") || {
    echo "run.sh: /set did not answer unchanged ($t)" >&2
    exit 1
  }
done

cat > "$W/report.lua" << 'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, summary.requests))
end
LUA

# Server processes of a target, for their CPU time (nginx: the workers).
pids_of() {
  case $1 in
    nginx) pgrep -P "$(cat "$W/nginx/nginx.pid")" | tr '\n' ' ' ;;
    hello) echo "$HELLO_PID" ;;
    get-log | get-log@base) api_var PID "$1" logged ;;
    *) api_var PID "$1" ;;
  esac
}
HZ=$(getconf CLK_TCK)

# target style -> "req/s p50ms p99ms sockerr non2xx requests server-cpu-us/request"
run_wrk() {
  local t=$1 style=$2 d=$DURATION extra=() pids c0 c1 out
  case $style in
    plain) ;;
    ka) extra=(-H "Connection: keep-alive") ;;
    close)
      extra=(-H "Connection: close")
      d=$CLOSE_DURATION
      ;;
  esac
  read -ra pids <<< "$(pids_of "$t")"
  c0=$(cpu_ticks "${pids[@]}")
  out=$(timeout $((d + 20)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${d}s" -s "$W/report.lua" \
    -H "$(auth_of "$t")" "${extra[@]}" "$(url_of "$t")" 2> /dev/null || true)
  c1=$(cpu_ticks "${pids[@]}")
  awk -v cpu=$((c1 - c0)) -v hz="$HZ" '/^RESULT/ {
      printf "%s %s %s %s %s %s %.1f\n", $2, $3, $4, $5, $6, $7, ($7 > 0 ? cpu * 1e6 / hz / $7 : 0)
      found = 1
    }
    END {if (!found) print "0 0 0 -1 -1 0 0"}' <<< "$out"
}

echo
echo "== load: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS, ${DURATION}s per run (close: ${CLOSE_DURATION}s)," \
  "$ROUNDS rounds, servers with $WORKERS workers/threads, $(nproc) CPUs"
read -ra target_list <<< "$TARGETS"
n=${#target_list[@]}
for round in $(seq 1 "$ROUNDS"); do
  for style in $STYLES; do
    for i in $(seq 0 $((n - 1))); do
      t=${target_list[$(((i + round - 1) % n))]}
      echo "$round $style $t $(run_wrk "$t" "$style")" >> "$W/results"
    done
  done
  echo "   round $round done: $(uptime | sed 's/.*load/load/')"
done
echo "== load: $(uptime)"

echo
awk -v targets="$TARGETS" -v styles="$STYLES" '
function median(list,   a, k, m, i, j, tmp) {
  k = split(list, a, " ")
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) {
    tmp = a[i]; a[i] = a[j]; a[j] = tmp
  }
  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{
  key = $2 SUBSEP $3
  rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6
  err[key] += $7; bad[key] += $8; cpu[key] = cpu[key] " " $10
  runs[key] = runs[key] " " sprintf("%.0f", $4)
}
END {
  nt = split(targets, T, " "); ns = split(styles, S, " ")
  printf "%-6s %-14s %10s %9s %9s %8s %7s %8s %8s  %s\n", "style", "target", "req/s", "p50 ms",
    "p99 ms", "vs nginx", "us-cpu", "sockerr", "non-2xx", "req/s per round"
  for (s = 1; s <= ns; s++) {
    for (i = 1; i <= nt; i++) {
      key = S[s] SUBSEP T[i]
      R[key] = median(rps[key])
    }
    for (i = 1; i <= nt; i++) {
      key = S[s] SUBSEP T[i]; ng = R[S[s] SUBSEP "nginx"]
      printf "%-6s %-14s %10.0f %9.3f %9.3f %8s %7.1f %7d %8d %s\n", S[s], T[i], R[key],
        median(p50[key]), median(p99[key]), (ng > 0 ? sprintf("%.2f", R[key] / ng) : "-"),
        median(cpu[key]), err[key], bad[key], runs[key]
    }
  }
  print "us-cpu: server CPU time (user + system, all threads or workers) per request, in"
  print "microseconds; less sensitive to other load on the machine than req/s."
  print ""
  print "targets (medians, same style):"
  for (s = 1; s <= ns; s++) {
    h = R[S[s] SUBSEP "hello"]; g = R[S[s] SUBSEP "get-hash"]; p = R[S[s] SUBSEP "get-plain"]
    st = R[S[s] SUBSEP "set-hash"]
    if (h > 0 && g > 0)
      printf "  %-5s get-hash / hello = %.2f (target >= 0.90: %s)   get-plain / hello = %.2f\n",
        S[s], g / h, (g / h >= 0.9 ? "met" : "MISSED"), p / h
    hc = median(cpu[S[s] SUBSEP "hello"]); gc = median(cpu[S[s] SUBSEP "get-hash"])
    if (hc > 0 && gc > 0)
      printf "  %-5s CPU per request get-hash / hello = %.2f (lower is better)\n", S[s], gc / hc
    if (g > 0 && st > 0)
      printf "  %-5s set-hash / get-hash = %.2f (target >= 0.90: %s)\n", S[s], st / g,
        (st / g >= 0.9 ? "met" : "MISSED")
  }
  pk = R["plain" SUBSEP "get-hash"]; kk = R["ka" SUBSEP "get-hash"]
  if (pk > 0 && kk > 0)
    printf "  chipmunk-api keep-alive without a header: get-hash plain / ka = %.2f\n", pk / kk
  header = 0
  for (s = 1; s <= ns; s++) {
    for (i = 1; i <= nt; i++) {
      if (T[i] !~ /@base$/) continue
      t = substr(T[i], 1, length(T[i]) - 5); b = R[S[s] SUBSEP T[i]]; n = R[S[s] SUBSEP t]
      if (!header++) print "\nnew / baseline (medians, same style; req/s higher is better, CPU lower):"
      nc = median(cpu[S[s] SUBSEP t]); bc = median(cpu[S[s] SUBSEP T[i]])
      printf "  %-5s %-10s req/s %s   CPU per request %s\n", S[s], t,
        (b > 0 ? sprintf("%.2f", n / b) : "-"), (bc > 0 ? sprintf("%.2f", nc / bc) : "-")
    }
  }
}' "$W/results"
