#!/bin/bash
# SPDX-License-Identifier: MIT
# HTTP throughput of chipmunk-api against nginx, a Go net/http echo and a bare Pistache
# handler, in one run, on loopback, with wrk. Targets (each answers "Your IP:  <peer>"):
#   nginx        Debian's nginx, `return 200 "Your IP:  $remote_addr"`, WORKERS workers
#   go           bench/go_echo.go: Go net/http (the serving core of echoip and ipify),
#                GOMAXPROCS = WORKERS; built here when `go` is on PATH, else skipped
#   hello        bench/pistache_hello: bare Pistache 0.0.5, its own ResponseWriter, WORKERS threads
#   get-plain    chipmunk-api GET /get/ip, Basic auth, plaintext password in [Users]
#   get-hash     chipmunk-api GET /get/ip, Basic auth, $pbkdf2-sha256$ hash (cached after the
#                first verification)
#   set-hash     chipmunk-api GET /set, same user, address unchanged
#   get-log      (only if listed in TARGETS) get-hash with [Log] level = info to a file,
#                chipmunk-api's default level: one log line per request
#   T+tls        (T = nginx, go, get-plain, get-hash, set-hash) the same over TLS: a
#                self-signed P-256 certificate made here; nginx `listen ... ssl`, the Go echo
#                ListenAndServeTLS, chipmunk-api its native TLS ([Server] tls_certificate,
#                tls_key). TLS=yes adds T+tls for every such T in TARGETS.
# Each with three request styles, same wrk threads/connections:
#   plain  HTTP/1.1 without a Connection header (wrk's default; persistent per RFC 9112)
#   ka     -H "Connection: keep-alive"
#   close  -H "Connection: close" (a new TCP connection per request)
# ROUNDS rounds; in each, every style x target is run once, target order rotating per round,
# so that drifting machine load hits all targets alike. Medians over rounds are printed with
# ratios to nginx (to nginx+tls for T+tls) for req/s, server CPU per request and p99 latency,
# then issue #19's targets, each "met" or "not met" (bench/run_summary.awk), and wrk's own
# CPU (GNU time; wrk%): when wrk is busy all its run, req/s is its ceiling, not the server's.
# Everything started here is stopped on exit.
#
# Before/after a change: BASELINE=/path/to/other/build also starts that build's chipmunk-api
# (same configuration) and adds each chipmunk-api target of TARGETS again as <target>@base
# (get-plain@base, get-hash+tls@base, ...) to the SAME rotated rounds; the summary then
# prints new / baseline per target and style (req/s, CPU per request, p99).
# Build the baseline from a worktree of the old commit (docs/BENCHMARKS.md).
#
#   bench/run.sh [BUILD_DIR]        (default: build)
#   env: ROUNDS=3 DURATION=3 CLOSE_DURATION=2 CONNECTIONS=64 WRK_THREADS=1 WORKERS=2
#        TARGETS="nginx go hello get-plain get-hash set-hash" STYLES="plain ka close"
#        TLS=no|yes  BASELINE=other/build (optional)
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
TARGETS=${TARGETS:-"nginx go hello get-plain get-hash set-hash"}
STYLES=${STYLES:-"plain ka close"}
TLS=${TLS:-no}
BASELINE=${BASELINE:-}
if [ "$TLS" = yes ]; then
  for t in $TARGETS; do
    case $t in nginx | go | get-plain | get-hash | set-hash) TARGETS="$TARGETS $t+tls" ;; esac
  done
fi
for t in $TARGETS; do
  case $t in
    nginx | go | hello | get-plain | get-hash | set-hash | get-log) ;;
    nginx+tls | go+tls | get-plain+tls | get-hash+tls | set-hash+tls) ;;
    *)
      echo "run.sh: unknown target $t" >&2
      exit 2
      ;;
  esac
done
BASE_API=
if [ -n "$BASELINE" ]; then
  BASE_API="$(cd "$BASELINE" && pwd)/api/chipmunk-api"
  for t in $TARGETS; do
    case $t in get-* | set-*) TARGETS="$TARGETS $t@base" ;; esac
  done
fi
has_target() {  # pattern (a case glob): whether a target of TARGETS matches it
  local t
  for t in $TARGETS; do
    # shellcheck disable=SC2254 # the pattern is meant as a glob
    case $t in $1) return 0 ;; esac
  done
  return 1
}

for tool in wrk nginx curl base64 openssl; do
  command -v "$tool" > /dev/null || {
    echo "run.sh: $tool not found (scripts/install-deps.sh --tests)" >&2
    exit 2
  }
done
bins=("$API")
if [ -n "$BASE_API" ]; then bins+=("$BASE_API"); fi
if has_target hello; then bins+=("$HELLO"); fi
for bin in "${bins[@]}"; do
  [ -x "$bin" ] || {
    echo "run.sh: $bin missing; build it: ninja -C $(dirname "$(dirname "$bin")") chipmunk-api pistache_hello" >&2
    exit 2
  }
done

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # free_port, wait_listener, start_echo_nginx, build_go_echo, cpu_ticks
W=$(mktemp -d /tmp/chipmunk-bench.XXXXXX)
PIDS=()
cleanup() {
  stop_started "$W" "${PIDS[@]}"
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CERT="$W/tls/cert.pem"
KEY="$W/tls/key.pem"
if has_target '*+tls*'; then
  make_tls_cert "$W/tls" || {
    echo "run.sh: openssl could not make a certificate: $(cat "$W/tls/openssl.log")" >&2
    exit 2
  }
fi

# --- nginx, with its own prefix; worker count matched to the Pistache threads ----------
NGINX_PORT=$(free_port)
NGINX_TLS_PORT=$(free_port)
if has_target '*+tls*'; then
  start_echo_nginx "$W/nginx" "$WORKERS" "$NGINX_PORT" "$NGINX_TLS_PORT" "$CERT" "$KEY"
else
  start_echo_nginx "$W/nginx" "$WORKERS" "$NGINX_PORT"
fi

# --- the Go echo, built now (skipped with the reason when go is missing) --------------------
GO_PORT=$(free_port)
GO_TLS_PORT=$(free_port)
GO_PID=0
if has_target 'go*'; then
  if build_go_echo "$ROOT" "$W/go"; then
    if has_target 'go+tls*'; then
      "$W/go/go_echo" "$GO_PORT" "$WORKERS" "$GO_TLS_PORT" "$CERT" "$KEY" > "$W/go/out" 2>&1 &
    else
      "$W/go/go_echo" "$GO_PORT" "$WORKERS" > "$W/go/out" 2>&1 &
    fi
    GO_PID=$!
    PIDS+=("$GO_PID")
    wait_listener "$GO_PORT"
    if has_target 'go+tls*'; then wait_listener "$GO_TLS_PORT"; fi
  else
    kept=
    for t in $TARGETS; do case $t in go*) ;; *) kept="$kept $t" ;; esac; done
    TARGETS=${kept# }
  fi
fi

# --- bare Pistache -----------------------------------------------------------------------
HELLO_PORT=$(free_port)
HELLO_PID=0
if has_target hello; then
  "$HELLO" "$HELLO_PORT" "$WORKERS" > "$W/hello.out" 2>&1 &
  HELLO_PID=$!
  PIDS+=("$HELLO_PID")
  wait_listener "$HELLO_PORT"
fi

# --- chipmunk-api ------------------------------------------------------------------------
PLAIN_USER=alice
PLAIN_PASS=plain-secret
HASH_USER=bob
HASH_PASS=hashed-secret
HASH=$(printf '%s\n' "$HASH_PASS" | "$API" hash-password)
# shellcheck source=scripts/lib/api_ini.sh
. "$ROOT/scripts/lib/api_ini.sh"
# An instance per kind of chipmunk-api target: quiet (level warn), logged (level info), tls
# (level warn, native TLS); base_<kind> for the BASELINE build.
start_api() {  # instance, log level, binary -> sets API_PORT_<instance> and API_PID_<instance>
  local name=$1 level=$2 bin=$3 port
  port=$(free_port)
  write_api_ini "$W/$name" "$level" "$WORKERS"
  echo "listen = 127.0.0.1:$port" >> "$W/$name/api.ini"
  case $name in
    *tls) printf 'tls_certificate = %s\ntls_key = %s\n' "$CERT" "$KEY" >> "$W/$name/api.ini" ;;
  esac
  cat >> "$W/$name/api.ini" << INI
[Users]
$PLAIN_USER = $PLAIN_PASS
$HASH_USER = $HASH
INI
  "$bin" --config "$W/$name/api.ini" > "$W/$name/api.out" 2>&1 &
  PIDS+=($!)
  printf -v "API_PID_$name" '%s' "$!"
  wait_listener "$port"
  printf -v "API_PORT_$name" '%s' "$port"
}
# instance_of TARGET: the chipmunk-api instance that serves it.
instance_of() {
  local kind=quiet
  case $1 in get-log*) kind=logged ;; *+tls*) kind=tls ;; esac
  case $1 in *@base) kind=base_$kind ;; esac
  echo "$kind"
}
needed=" "
for t in $TARGETS; do
  case $t in nginx* | go* | hello) continue ;; esac
  instance=$(instance_of "$t")
  case $needed in *" $instance "*) ;; *) needed="$needed$instance " ;; esac
done
for instance in $needed; do
  level=warn
  case $instance in *logged) level=info ;; esac
  case $instance in base_*) start_api "$instance" "$level" "$BASE_API" ;;
    *) start_api "$instance" "$level" "$API" ;; esac
done
api_var() {  # KIND TARGET: the value of API_<KIND>_<instance of TARGET>
  local var
  var="API_$1_$(instance_of "$2")"
  echo "${!var:-0}"
}

auth() { printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
PLAIN_AUTH=$(auth "$PLAIN_USER" "$PLAIN_PASS")
HASH_AUTH=$(auth "$HASH_USER" "$HASH_PASS")

url_of() {
  local scheme=http port path=/get/ip
  case $1 in *+tls*) scheme=https ;; esac
  case $1 in
    nginx) port=$NGINX_PORT ;;
    nginx+tls) port=$NGINX_TLS_PORT ;;
    go) port=$GO_PORT ;;
    go+tls) port=$GO_TLS_PORT ;;
    hello) port=$HELLO_PORT ;;
    *) port=$(api_var PORT "$1") ;;
  esac
  case $1 in set-hash*) path=/set ;; esac
  echo "$scheme://127.0.0.1:$port$path"
}
auth_of() {
  case $1 in
    get-plain*) echo "$PLAIN_AUTH" ;;
    get-hash* | set-hash* | get-log*) echo "$HASH_AUTH" ;;
    *) echo "X-Bench: 1" ;;  # nginx, go and hello take no credentials
  esac
}

# --- sanity: every target answers as expected; first /set stores, the hash gets cached --
echo "== responses to a plain HTTP/1.1 request (curl, no Connection header)"
for t in $TARGETS; do
  curl -sk --http1.1 -D "$W/headers" -o "$W/body" -H "$(auth_of "$t")" "$(url_of "$t")"
  code=$(head -n1 "$W/headers" | tr -d '\r')
  conn=$(grep -i '^connection:' "$W/headers" | tr -d '\r' || true)
  printf '%-18s %-16s %-22s %s\n' "$t" "$code" "${conn:-(no Connection header)}" "$(cat "$W/body")"
  case $t in
    set-hash*) grep -q '"status": "\(saved\|unchanged\)"' "$W/body" ;;
    *) grep -q '^Your IP:  127\.0\.0\.1$' "$W/body" ;;
  esac || {
    echo "run.sh: unexpected answer from $t" >&2
    exit 1
  }
  case $t in
    set-hash*)
      grep -q '"status": "unchanged"' <(curl -sk -H "$HASH_AUTH" "$(url_of "$t")") || {
        echo "run.sh: /set did not answer unchanged ($t)" >&2
        exit 1
      }
      ;;
  esac
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
    nginx*) nginx_workers "$W/nginx" ;;
    go*) echo "$GO_PID" ;;
    hello) echo "$HELLO_PID" ;;
    *) api_var PID "$1" ;;
  esac
}
HZ=$(getconf CLK_TCK)

# The load generator's own CPU (GNU time around wrk), to tell when req/s is its ceiling.
TIME_CMD=()
if [ -x /usr/bin/time ]; then
  TIME_CMD=(/usr/bin/time -f "WRKCPU %U %S %e" -o "$W/wrk.time")
else
  echo "run.sh: /usr/bin/time not found, wrk's CPU not measured (scripts/install-deps.sh --bench)" >&2
fi

# target style -> "req/s p50ms p99ms sockerr non2xx requests server-cpu-us/request wrk-busy"
# (wrk-busy: wrk's user + system CPU over its wall time and threads, 0..1; 0: not measured)
run_wrk() {
  local t=$1 style=$2 d=$DURATION extra=() pids c0 c1 out busy
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
  rm -f "$W/wrk.time"
  out=$(timeout $((d + 20)) "${TIME_CMD[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${d}s" \
    -s "$W/report.lua" -H "$(auth_of "$t")" "${extra[@]}" "$(url_of "$t")" 2> /dev/null || true)
  c1=$(cpu_ticks "${pids[@]}")
  busy=0  # not measured: no GNU time, or wrk did not finish
  if [ -s "$W/wrk.time" ]; then
    busy=$(awk -v n="$WRK_THREADS" '$1 == "WRKCPU" && $4 > 0 {printf "%.3f", ($2 + $3) / $4 / n; f = 1}
      END {if (!f) print 0}' "$W/wrk.time")
  fi
  awk -v cpu=$((c1 - c0)) -v hz="$HZ" -v busy="$busy" '/^RESULT/ {
      printf "%s %s %s %s %s %s %.1f %s\n", $2, $3, $4, $5, $6, $7,
        ($7 > 0 ? cpu * 1e6 / hz / $7 : 0), busy
      found = 1
    }
    END {if (!found) print "0 0 0 -1 -1 0 0 0"}' <<< "$out"
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
awk -v targets="$TARGETS" -v styles="$STYLES" -f "$ROOT/bench/run_summary.awk" "$W/results"
