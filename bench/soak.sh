#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak test of chipmunk-api (docs/SECURITY.md, "Load"):
#  1. wrk holds SOAK_CONNECTIONS keep-alive connections (default 2000) for SOAK_DURATION
#     (default 2m) against /get/ip with Basic auth; every response must be a 200 and no
#     socket may fail. The server's RSS is sampled every SOAK_SAMPLE seconds (default 5)
#     and printed, with growth between the first and the last third of the run.
#  2. SOAK_IDLE idle keep-alive connections (default 10000; each made one request) are
#     held open; RSS before and after gives the memory cost of one connection.
#   bench/soak.sh [path/to/chipmunk-api]      (default: build/api/chipmunk-api)
# Needs wrk and python3; raises the open-file limit for itself and the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/lib/api_ini.sh"
bin=${1:-$here/../build/api/chipmunk-api}
connections=${SOAK_CONNECTIONS:-2000}
duration=${SOAK_DURATION:-2m}
sample=${SOAK_SAMPLE:-5}
idle=${SOAK_IDLE:-10000}
threads=${SOAK_SERVER_THREADS:-2}
command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "soak.sh: no binary at $bin" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((idle + 1000)) ] || [ "$(ulimit -n)" -lt $((connections + 1000)) ]; then
  echo "soak.sh: the open-file limit ($(ulimit -n)) is too low" >&2
  exit 2
fi

dir=$(mktemp -d)
pid=
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
write_api_ini "$dir" warn "$threads"
cat >>"$dir/api.ini" <<INI
[Users]
soak = soak-password
[Limits]
header_timeout = 60s
keepalive_timeout = 600s
INI
"$bin" --config "$dir/api.ini" --listen 127.0.0.1:0 >"$dir/stdout.txt" 2>"$dir/stderr.txt" &
pid=$!
port=
for _ in $(seq 1 100); do
  # The log is at "warn" (no request lines): find the port from the socket table.
  port=$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -1 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak.sh: chipmunk-api did not start" >&2; cat "$dir/stderr.txt" >&2; exit 1; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "soak: chipmunk-api pid=$pid port=$port threads=$threads; idle RSS $(rss_kb) kB"

# 1. wrk: every request authenticated; HTTP/1.1 keep-alive.
cat >"$dir/auth.lua" <<'LUA'
wrk.headers["Authorization"] = "Basic c29hazpzb2FrLXBhc3N3b3Jk"
LUA
(
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(date +%s) $(rss_kb)"
    sleep "$sample"
  done
) >"$dir/rss.txt" &
sampler=$!
wrk -t2 -c"$connections" -d"$duration" --timeout 10s -s "$dir/auth.lua" \
  "http://127.0.0.1:$port/get/ip" >"$dir/wrk.txt" 2>&1 || true
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=
cat "$dir/wrk.txt"
echo "soak: RSS samples (unix time, kB):"
cat "$dir/rss.txt"
fail=0
if grep -q "Non-2xx or 3xx responses" "$dir/wrk.txt"; then
  echo "soak: FAILED: non-2xx responses" >&2
  fail=1
fi
if grep -q "Socket errors" "$dir/wrk.txt"; then
  echo "soak: FAILED: socket errors" >&2
  fail=1
fi
requests=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || { echo "soak: FAILED: no requests" >&2; fail=1; }
# Flat memory: the mean of the last third against the mean of the middle third (the first
# third includes warm-up: thread stacks, buffers and caches filling).
awk -v n="$(wc -l <"$dir/rss.txt")" '
  { v[NR] = $2 }
  END {
    if (n < 6) { print "soak: too few RSS samples for a trend"; exit }
    a = int(n / 3); for (i = a + 1; i <= 2 * a; i++) m += v[i]; m /= a
    for (i = 2 * a + 1; i <= n; i++) l += v[i]; l /= (n - 2 * a)
    printf "soak: RSS middle third %.0f kB, last third %.0f kB, growth %.1f%%\n", m, l, (l - m) * 100 / m
  }' "$dir/rss.txt"

# 2. Idle connections.
before=$(rss_kb)
python3 - "$port" "$idle" "$pid" <<'PY'
import socket, sys, time
port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
req = b"GET /get/ip HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c29hazpzb2FrLXBhc3N3b3Jk\r\n\r\n"
socks = []
start = rss()
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"127.0.0.1"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(f"soak: idle connection {i} closed early")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        sys.exit(f"soak: idle connection {i}: {data[:40]!r}")
    socks.append(s)
time.sleep(2)
held = rss()
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        alive += 1
print(f"soak: {count} idle keep-alive connections held, {alive} still open; "
      f"RSS {start} kB -> {held} kB, {(held - start) * 1024 / count:.0f} bytes per connection")
if alive != count:
    sys.exit("soak: FAILED: the server closed idle connections before keepalive_timeout")
PY
echo "soak: RSS after the idle connections closed: $(rss_kb) kB (before them: $before kB)"
kill -TERM "$pid"
wait "$pid" || { echo "soak: FAILED: chipmunk-api exit status $?" >&2; fail=1; }
pid=
exit $fail
