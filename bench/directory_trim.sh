#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Does malloc_trim after a directory change matter for RSS? Starts chipmunk-api with N
# directory users (and N hosts) in a fresh data directory, then makes K directory changes
# (`token add`, each one a reload of the whole directory) and prints RSS after the start and
# after each change, 2 s after the change applied (the maintenance thread trims within a
# second), and how long a client's /healthz took meanwhile. NO_TRIM=1 runs the same binary
# with malloc_trim replaced by a no-op (an LD_PRELOAD stub built with cc): the side-by-side
# figure of docs/SCALING.md.
# Usage: bench/directory_trim.sh [N=1000000] [K=3]   (needs build/api/chipmunk-api)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh" # write_directory, stop_started
bin="${API_BIN:-$root/build/api/chipmunk-api}"
n="${1:-1000000}"
changes="${2:-3}"
port=18943
tmp="$(mktemp -d)"
pid=""
probe=""
trap 'stop_started "$tmp" $probe $pid; rm -rf "$tmp"' EXIT
preload=""
if [ -n "${NO_TRIM:-}" ]; then
  printf '#include <stddef.h>\nint malloc_trim(size_t pad) { (void)pad; return 0; }\n' >"$tmp/nt.c"
  cc -shared -fPIC -o "$tmp/notrim.so" "$tmp/nt.c"
  preload="$tmp/notrim.so"
fi
mkdir "$tmp/data"
printf '[Server]\nlisten = 127.0.0.1:%s\n[Paths]\nclient_update_dir = %s\n[Log]\nlevel = debug\n' \
  "$port" "$tmp/data" >"$tmp/api.ini"
hash="$(echo pw | "$bin" hash-password --iterations 10000)"
write_directory "$tmp/data" "$n" "$hash"
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
LD_PRELOAD="$preload" "$bin" --config "$tmp/api.ini" 2>"$tmp/log" &
pid=$!
# log_has TEXT: waits (10 minutes at most: a million users load in about a minute here).
log_has() {
  for _ in $(seq 3000); do
    grep -qE "$1" "$tmp/log" && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): gave up waiting for \"$1\" in the log" >&2
  exit 1
}
log_has "listening address"
sleep 2
echo "users=$n trim=$([ -n "$preload" ] && echo off || echo on) after start: RSS $(rss) kB"
# A client asking /healthz every 50 ms through the changes (and the trims after them).
(for _ in $(seq 100000); do
  curl -s -o /dev/null -w "%{time_total}\n" "http://127.0.0.1:$port/healthz" >>"$tmp/probe"
  sleep 0.05
done) &
probe=$!
for i in $(seq "$changes"); do
  "$bin" token add "h0000042.example.org" --config "$tmp/api.ini" >/dev/null 2>&1
  log_has "tokens=$i\b"
  sleep 2
  echo "after directory change $i: RSS $(rss) kB"
done
sleep 10
stop_started "$tmp" "$probe"
probe=""
grep -o 'malloc_trim took=[0-9.]* ms' "$tmp/log" | tail -n 3 || true
python3 - "$tmp/probe" <<'PY'
import sys
t = sorted(float(l) * 1000 for l in open(sys.argv[1]) if l.strip())
print("/healthz during the changes: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
      (len(t), t[len(t) // 2], t[min(len(t) - 1, int(len(t) * .99))], t[-1]))
PY
