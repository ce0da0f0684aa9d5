#!/bin/bash
# SPDX-License-Identifier: MIT
# /hosts and the configuration at scale (issue #13), this build against a baseline build in
# the same run:
#   1. at each of SIZES records (one user per record, plus admin with read_all): GET /hosts as
#      a plain user (their own record), the first admin page of /hosts, and the page (/);
#      median seconds of ROUNDS, each with curl's time_total;
#   2. a configuration of CONFIG_USERS users (half hashed) and CONFIG_HOSTS hosts:
#      --check-config seconds (wall and CPU) and peak RSS, the serving process's RSS after
#      start, and a SIGHUP reload's seconds (until the "config reloaded" log line) and CPU.
# Everything started here is stopped by PID on exit.
#
#   bench/hosts_scale.sh [BUILD_DIR]         (default: build)
#   env: BASELINE=/path/to/other/build (optional)  SIZES="1000 10000 100000"  ROUNDS=5
#        CONFIG_USERS=1000000 CONFIG_HOSTS=100000  SKIP_CONFIG=1 / SKIP_HOSTS=1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
SIZES=${SIZES:-"1000 10000 100000"}
ROUNDS=${ROUNDS:-5}
CONFIG_USERS=${CONFIG_USERS:-1000000}
CONFIG_HOSTS=${CONFIG_HOSTS:-100000}
WORK=$(mktemp -d /tmp/chipmunk-hosts-scale.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

builds=("new:$BUILD")
[ -n "${BASELINE:-}" ] && builds+=("base:$(cd "$BASELINE" && pwd)")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start BINARY INI PORT LOG: starts chipmunk-api, waits (bounded) for /healthz; prints the PID.
start() {
  "$1" --config "$2" --listen "127.0.0.1:$3" >"$4" 2>&1 &
  local pid=$!
  for _ in $(seq 1 1200); do
    curl -sf "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && { echo "$pid"; return; }
    kill -0 "$pid" 2>/dev/null || { echo "chipmunk-api exited: $(tail -3 "$4")" >&2; exit 1; }
    sleep 0.1
  done
  echo "chipmunk-api did not answer in 120 s" >&2
  exit 1
}

# median_time URL USER: median of ROUNDS curl time_total (seconds); "fail:<code>" when an
# answer was not a 200 (000: no answer within MAX_TIME seconds).
median_time() {
  for _ in $(seq 1 "$ROUNDS"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time "${MAX_TIME:-120}" \
      -u "$2:pw" "$1" || true
  done | sort -k2 -n | awk '$1 != 200 { bad = $1 } { v[NR] = $2 }
    END { if (bad != "") printf "fail:%s", bad; else printf "%.4f", v[int((NR + 1) / 2)] }'
}

rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# CPU seconds (user + system) a process has used: on a shared machine wall time mostly
# measures the others.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

if [ -z "${SKIP_HOSTS:-}" ]; then
  printf '%-6s %8s %12s %12s %12s\n' build records own_s admin_page_s page_s
  for n in $SIZES; do
    dir="$WORK/records-$n"
    python3 "$ROOT/bench/gen_scale_ini.py" "$dir/api.ini" "$dir/data" "$n" 0 "$n"
    for b in "${builds[@]}"; do
      name=${b%%:*} bin=${b#*:}/api/chipmunk-api port=$(free_port)
      pid=$(start "$bin" "$dir/api.ini" "$port" "$dir/$name.log")
      PIDS+=("$pid")
      url="http://127.0.0.1:$port"
      own=$(median_time "$url/hosts" u0000000)
      admin=$(median_time "$url/hosts" admin)
      page=$(median_time "$url/" admin)
      printf '%-6s %8d %12s %12s %12s\n' "$name" "$n" "$own" "$admin" "$page"
      kill "$pid"; wait "$pid" 2>/dev/null || true
    done
  done
fi

if [ -z "${SKIP_CONFIG:-}" ]; then
  dir="$WORK/config"
  python3 "$ROOT/bench/gen_scale_ini.py" "$dir/api.ini" "$dir/data" "$CONFIG_USERS" "$CONFIG_HOSTS"
  echo "config: $CONFIG_USERS users (half hashed), $CONFIG_HOSTS hosts," \
    "$(du -h "$dir/api.ini" | cut -f1)"
  printf '%-6s %9s %9s %12s %8s %9s %10s\n' build check_s check_cpu check_rss_mb rss_mb \
    reload_s reload_cpu
  for b in "${builds[@]}"; do
    name=${b%%:*} bin=${b#*:}/api/chipmunk-api
    /usr/bin/time -f '%e %M %U %S' -o "$dir/time" "$bin" --config "$dir/api.ini" \
      --check-config >/dev/null 2>&1 || true
    read -r check_s check_kb check_user check_sys <"$dir/time"
    check_cpu=$(echo "$check_user + $check_sys" | bc)
    port=$(free_port)
    sed -i 's/^level = .*/level = info/' "$dir/api.ini"
    pid=$(start "$bin" "$dir/api.ini" "$port" "$dir/$name.log")
    PIDS+=("$pid")
    rss=$(rss_kb "$pid")
    cpu0=$(cpu_s "$pid")
    t0=$(date +%s.%N)
    kill -HUP "$pid"
    for _ in $(seq 1 1200); do
      grep -q "config reloaded" "$dir/$name.log" && break
      sleep 0.05
    done
    reload=$(echo "$(date +%s.%N) - $t0" | bc)
    reload_cpu=$(echo "$(cpu_s "$pid") - $cpu0" | bc)
    printf '%-6s %9s %9s %12d %8d %9.2f %10s\n' "$name" "$check_s" "$check_cpu" \
      $((check_kb / 1024)) $((rss / 1024)) "$reload" "$reload_cpu"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    sed -i 's/^level = .*/level = warn/' "$dir/api.ini"
  done
fi
