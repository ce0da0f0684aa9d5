#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Does malloc_trim after a directory change matter for RSS? Starts chipmunk-api with N
# directory users (and N hosts) in a fresh data directory, then makes K directory changes
# (`token add`, each one a reload of the whole directory) and prints RSS after the start and
# after each change, 2 s after the change applied (the maintenance thread trims within a
# second). NO_TRIM=1 runs the same binary with malloc_trim replaced by a no-op (an
# LD_PRELOAD stub built with cc): the side-by-side figure of docs/SCALING.md.
# Usage: bench/directory_trim.sh [N=1000000] [K=3]   (needs build/api/chipmunk-api)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${API_BIN:-$root/build/api/chipmunk-api}"
n="${1:-1000000}"
changes="${2:-3}"
port=18943
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
preload=""
if [ -n "${NO_TRIM:-}" ]; then
  printf '#include <stddef.h>\nint malloc_trim(size_t pad) { (void)pad; return 0; }\n' >"$tmp/nt.c"
  cc -shared -fPIC -o "$tmp/notrim.so" "$tmp/nt.c"
  preload="$tmp/notrim.so"
fi
mkdir "$tmp/data"
cat >"$tmp/api.ini" <<INI
[Server]
listen = 127.0.0.1:$port
[Paths]
client_update_dir = $tmp/data
[Log]
level = debug
INI
hash="$(echo pw | "$bin" hash-password --iterations 10000)"
python3 - "$tmp/data" "$n" "$hash" <<'PY'
import sys
d, n, h = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(d + "/.users", "w") as f:
    f.writelines("u%07d %s\n" % (i, h) for i in range(n))
with open(d + "/.hosts", "w") as f:
    f.writelines("h%07d.example.org u%07d\n" % (i, i) for i in range(n))
PY
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
LD_PRELOAD="$preload" "$bin" --config "$tmp/api.ini" 2>"$tmp/log" &
pid=$!
until grep -q "directory applied" "$tmp/log"; do
  sleep 0.2
done
until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
  sleep 0.1
done
sleep 2
echo "users=$n trim=$([ -n "$preload" ] && echo off || echo on) after start: RSS $(rss) kB"
for i in $(seq "$changes"); do
  "$bin" token add "h0000042.example.org" --config "$tmp/api.ini" >/dev/null 2>&1
  until grep -q "tokens=$i\b" "$tmp/log"; do
    sleep 0.1
  done
  sleep 2
  echo "after directory change $i: RSS $(rss) kB"
done
grep -o 'malloc_trim took=[0-9.]* ms' "$tmp/log" | tail -n 3 || true
