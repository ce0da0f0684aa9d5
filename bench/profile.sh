#!/bin/bash
# SPDX-License-Identifier: MIT
# Where a server's time goes under wrk (issue #19): for each server of SERVERS and style of
# STYLES, on loopback, one bounded wrk run per tool:
#   stat    perf stat -p: task-clock, context switches and system calls (the
#           raw_syscalls:sys_enter tracepoint, cheap), each per request
#   strace  strace -c -f -p: system calls by name per request, with how many of them failed
#           (EAGAIN mostly); strace slows the server several-fold, so its req/s are low and
#           a server may batch less per epoll_wait than at full speed
#   record  perf record -g -p (only for the chipmunk-api servers): the TOP functions by
#           self time, then by time including callees
#   malloc  perf stat -p of a uprobe on libc's malloc (added here, removed on exit): heap
#           allocations per request (nginx and chipmunk-api; Go has its own allocator).
#           The probe slows malloc, so the req/s of this run are low
# Servers: nginx (`return 200`, WORKERS workers), go (bench/go_echo.go, GOMAXPROCS =
# WORKERS; skipped without go), get-hash (chipmunk-api GET /get/ip, Basic auth with a
# cached $pbkdf2-sha256$ hash, WORKERS threads, [Log] level = warn), set-hash (the same
# chipmunk-api configuration, GET /set with the address unchanged); each also as S+tls over
# TLS (a self-signed P-256 certificate made here; chipmunk-api's native TLS).
# Styles: ka (-H "Connection: keep-alive"), close (-H "Connection: close"), plain (none).
# Everything started here is stopped by PID on exit; each tool and wrk run under `timeout`.
#
#   bench/profile.sh [BUILD_DIR]     (default: build; run as root or with perf allowed)
#   env: SERVERS="nginx go get-hash" STYLES="ka close" TOOLS="stat strace record" (or malloc)
#        DURATION=5 CONNECTIONS=64 WRK_THREADS=1 WORKERS=2 TOP=20 CALLGRAPH=dwarf
#        KEEP=DIR (keep perf.data, perf/strace outputs there)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
API="$BUILD/api/chipmunk-api"
SERVERS=${SERVERS:-"nginx go get-hash"}
STYLES=${STYLES:-"ka close"}
TOOLS=${TOOLS:-"stat strace record"}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-2}
TOP=${TOP:-20}
CALLGRAPH=${CALLGRAPH:-dwarf}
KEEP=${KEEP:-}

for tool in wrk nginx curl base64 perf strace; do
  command -v "$tool" > /dev/null || {
    echo "profile.sh: $tool not found (scripts/install-deps.sh --bench)" >&2
    exit 2
  }
done
[ -x "$API" ] || {
  echo "profile.sh: $API missing; build it: ./scripts/build.sh chipmunk-api" >&2
  exit 2
}

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # free_port, wait_listener, start_echo_nginx, build_go_echo
# shellcheck source=scripts/lib/api_ini.sh
. "$ROOT/scripts/lib/api_ini.sh"  # write_api_ini
W=$(mktemp -d /tmp/chipmunk-profile.XXXXXX)
PIDS=()
TOOL_PID=
MALLOC_PROBE=
cleanup() {
  stop_started "$W" ${TOOL_PID:+"$TOOL_PID"} "${PIDS[@]}"
  if [ -n "$MALLOC_PROBE" ]; then
    perf probe -q --del "$MALLOC_PROBE" 2> /dev/null || true
  fi
  if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"
    cp -r "$W/out/." "$KEEP/" 2> /dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$W/out"

CERT="$W/tls/cert.pem"
KEY="$W/tls/key.pem"
case " $SERVERS " in *"+tls "*) make_tls_cert "$W/tls" ;; esac
declare -A PORT SERVER_PIDS
for s in $SERVERS; do
  PORT[$s]=$(free_port)
  tls=()
  case $s in *+tls) tls=("$CERT" "$KEY") ;; esac
  case $s in
    nginx)
      start_echo_nginx "$W/nginx" "$WORKERS" "${PORT[$s]}"
      SERVER_PIDS[$s]=$(nginx_workers "$W/nginx")
      ;;
    nginx+tls)  # a second nginx: its plain listener unused
      start_echo_nginx "$W/nginx-tls" "$WORKERS" "$(free_port)" "${PORT[$s]}" "${tls[@]}"
      PIDS+=("$(cat "$W/nginx-tls/nginx.pid")")
      SERVER_PIDS[$s]=$(nginx_workers "$W/nginx-tls")
      ;;
    go | go+tls)
      [ -x "$W/go/go_echo" ] || build_go_echo "$ROOT" "$W/go" || continue
      if [ ${#tls[@]} -gt 0 ]; then
        "$W/go/go_echo" "$(free_port)" "$WORKERS" "${PORT[$s]}" "${tls[@]}" > "$W/$s.out" 2>&1 &
      else
        "$W/go/go_echo" "${PORT[$s]}" "$WORKERS" > "$W/$s.out" 2>&1 &
      fi
      PIDS+=($!)
      SERVER_PIDS[$s]=$!
      wait_listener "${PORT[$s]}"
      ;;
    get-hash | set-hash | get-hash+tls | set-hash+tls)
      write_api_ini "$W/$s" warn "$WORKERS"
      printf 'listen = 127.0.0.1:%s\n' "${PORT[$s]}" >> "$W/$s/api.ini"
      if [ ${#tls[@]} -gt 0 ]; then
        printf 'tls_certificate = %s\ntls_key = %s\n' "${tls[@]}" >> "$W/$s/api.ini"
      fi
      printf '[Users]\nbob = %s\n' "$(printf 'hashed-secret\n' | "$API" hash-password)" \
        >> "$W/$s/api.ini"
      "$API" --config "$W/$s/api.ini" > "$W/$s/out" 2>&1 &
      PIDS+=($!)
      SERVER_PIDS[$s]=$!
      wait_listener "${PORT[$s]}"
      ;;
    *)
      echo "profile.sh: unknown server $s (nginx, go, get-hash, set-hash; each also +tls)" >&2
      exit 2
      ;;
  esac
done
AUTH="Authorization: Basic $(printf 'bob:hashed-secret' | base64 -w0)"
url_of() {
  local scheme=http path=/get/ip
  case $1 in *+tls) scheme=https ;; esac
  case $1 in set-hash*) path=/set ;; esac
  echo "$scheme://127.0.0.1:${PORT[$1]}$path"
}
for s in $SERVERS; do  # the first request verifies the hash (and /set stores the address)
  [ -n "${SERVER_PIDS[$s]:-}" ] || continue
  curl -sk -o /dev/null -H "$AUTH" "$(url_of "$s")"
  grep -q -e '^Your IP:  127\.0\.0\.1$' -e '"status": "unchanged"' \
    <(curl -sk -H "$AUTH" "$(url_of "$s")") || {
    echo "profile.sh: unexpected answer from $s" >&2
    exit 1
  }
done

# wrk_requests SERVER STYLE: one wrk run of DURATION; prints its request count.
wrk_requests() {
  local extra=()
  case $2 in
    ka) extra=(-H "Connection: keep-alive") ;;
    close) extra=(-H "Connection: close") ;;
  esac
  timeout $((DURATION + 20)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "$AUTH" \
    "${extra[@]}" "$(url_of "$1")" 2> /dev/null |
    awk '/requests in/ {print $1; found = 1} END {if (!found) print 0}'
}

# under_tool OUT SERVER STYLE COMMAND...: runs COMMAND (a profiler attached to the server) in
# the background, one wrk run, then stops COMMAND with SIGINT (so that it writes its report);
# sets n to the request count.
under_tool() {
  local out=$1 s=$2 style=$3
  shift 3
  timeout -s INT $((DURATION + 30)) "$@" > "$out.stdout" 2>&1 &
  TOOL_PID=$!
  sleep 1  # attached
  n=$(wrk_requests "$s" "$style")
  kill -INT "$TOOL_PID" 2> /dev/null || true
  wait "$TOOL_PID" 2> /dev/null || true
  TOOL_PID=
}

# perf_top DATA OPTION...: the TOP lines of perf report, without its comments, unresolved
# addresses and padding.
perf_top() {
  local data=$1
  shift
  timeout 300 perf report -i "$data" --stdio -g none "$@" 2> /dev/null |
    cut -c1-150 | sed -E 's/[ -]+$//' | grep -v -E -e '^#' -e '\] 0x[0-9a-f]+$' | grep . |
    head -n "$TOP" || true
}

pid_list() { tr ' ' '\n' <<< "${SERVER_PIDS[$1]}" | grep . | paste -sd, -; }

case " $TOOLS " in *" malloc "*)
  libc=$(ldd "$API" | awk '$1 == "libc.so.6" {print $3}')
  perf probe -q -x "$libc" --add chipmunk_profile_malloc=malloc
  MALLOC_PROBE=probe_libc:chipmunk_profile_malloc
  ;;
esac
echo "== load: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s per tool, $WORKERS workers/threads, $(nproc) CPUs"
for style in $STYLES; do
  for s in $SERVERS; do
    [ -n "${SERVER_PIDS[$s]:-}" ] || continue  # go without go
    pids=$(pid_list "$s")
    out="$W/out/$s.$style"
    case " $TOOLS " in *" stat "*)
      under_tool "$out.stat" "$s" "$style" perf stat -x, -o "$out.stat" \
        -e task-clock,context-switches,raw_syscalls:sys_enter -p "$pids"
      awk -F, -v n="$n" -v s="$s" -v st="$style" '
        $3 == "task-clock" {cpu = $1} $3 == "context-switches" {cs = $1}
        $3 == "raw_syscalls:sys_enter" {sc = $1}
        END {if (n > 0) printf "stat   %-5s %-9s %9d requests  %6.1f us CPU  %5.2f syscalls  %5.2f context switches per request\n",
          st, s, n, cpu * 1000 / n, sc / n, cs / n}' "$out.stat"
      ;;
    esac
    case " $TOOLS " in *" strace "*)
      read -ra spids <<< "${SERVER_PIDS[$s]}"
      under_tool "$out.strace" "$s" "$style" strace -c -f -qq -o "$out.strace" \
        "${spids[@]/#/-p}"
      awk -v n="$n" -v s="$s" -v st="$style" -v top="$TOP" '
        NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" {
          calls[$NF] = $4; total += $4; errors[$NF] = NF >= 6 ? $5 : 0
        }
        END {
          if (n == 0) exit
          printf "strace %-5s %-9s %9d requests  %5.2f syscalls per request:", st, s, n, total / n
          k = 0
          while (k++ < top) {
            best = ""; for (c in calls) if (best == "" || calls[c] > calls[best]) best = c
            if (best == "" || calls[best] / n < 0.005) break
            printf " %s %.2f", best, calls[best] / n
            if (errors[best] / n >= 0.005) printf " (%.2f failed)", errors[best] / n
            delete calls[best]
          }
          print ""
        }' "$out.strace"
      ;;
    esac
    case " $TOOLS " in *" malloc "*)
      case $s in go*) ;; *)
        under_tool "$out.malloc" "$s" "$style" perf stat -x, -o "$out.malloc" \
          -e "$MALLOC_PROBE" -p "$pids"
        awk -F, -v n="$n" -v s="$s" -v st="$style" '$3 ~ /malloc/ {m = $1}
          END {if (n > 0) printf "malloc %-5s %-9s %9d requests  %6.2f malloc calls per request\n",
            st, s, n, m / n}' "$out.malloc"
        ;;
      esac
      ;;
    esac
    case " $TOOLS " in *" record "*)
      case $s in get-hash* | set-hash*) ;; *) continue ;; esac
      under_tool "$out.record" "$s" "$style" perf record -F 499 --call-graph "$CALLGRAPH" \
        -o "$out.perf.data" -p "$pids"
      echo "record $style $s: $n requests; top $TOP by self time (perf report --no-children):"
      perf_top "$out.perf.data" --no-children --sort dso,symbol
      echo "record $style $s: top $TOP including callees (perf report --children):"
      perf_top "$out.perf.data" --children --sort symbol
      echo "record $style $s: by thread (chipmunk-http = the I/O threads; chipmunk-api = the main and other threads):"
      perf_top "$out.perf.data" --no-children --sort comm
      ;;
    esac
  done
done
echo "== load: $(uptime)"
