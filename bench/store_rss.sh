#!/bin/bash
# SPDX-License-Identifier: MIT
# Memory of the file store: generates RECORDS records (<name>.cm and <name>.json, as /set
# writes them) in a temporary data directory, starts chipmunk-api on it, and prints its RSS
# against the same server on an empty directory, per record. Everything started here is
# stopped on exit.
#
#   bench/store_rss.sh [BUILD_DIR]      (default: build)
#   env: RECORDS=100000  BASELINE=other/build (also measures that build's chipmunk-api)
#        START_WAIT=600 (seconds a start may take: loading 1M records takes minutes)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
RECORDS=${RECORDS:-100000}
START_WAIT=${START_WAIT:-600}
W=$(mktemp -d /tmp/chipmunk-rss.XXXXXX)
api_pid=
cleanup() {
  if [ -n "$api_pid" ]; then
    kill "$api_pid" 2> /dev/null || true
    wait "$api_pid" 2> /dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
. "$ROOT/scripts/lib/api_ini.sh"

generate() {  # DIR COUNT
  python3 - "$1" "$2" << 'PY'
import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    name = "host%07d" % i
    ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, (i & 255) or 1)
    with open(os.path.join(d, name + ".cm"), "w") as f:
        f.write(ip + "\n")
    rec = {"name": name, "ip": ip, "ipv4": ip, "ipv6": None, "first_seen": 1700000000,
           "changed_at": 1700000000, "last_seen": 1700000000 + i, "ttl": 0, "expired": False,
           "expired_at": 0, "metadata": {}}
    with open(os.path.join(d, name + ".json"), "w") as f:
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
PY
}

rss_kb() {  # BIN DIR -> RSS of a started chipmunk-api, in kB
  write_api_ini "$2" warn 2
  sed -i 's/^level = warn/level = info/' "$2/api.ini"
  printf 'listen = 127.0.0.1:0\n[Users]\nalice = secret\n' >> "$2/api.ini"
  # run_api's 10 s are too short for loading a million records: wait up to START_WAIT.
  "$1" --config "$2/api.ini" > "$2/api-stdout.log" 2>&1 &
  api_pid=$!
  local _
  for _ in $(seq $((START_WAIT * 10))); do
    grep -q "listening address=" "$2/api.log" 2> /dev/null && break
    kill -0 "$api_pid" 2> /dev/null || { echo "store_rss.sh: chipmunk-api exited" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "listening address=" "$2/api.log" || { echo "store_rss.sh: no start" >&2; exit 1; }
  local kb
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$api_pid/status")
  kill "$api_pid"
  wait "$api_pid" 2> /dev/null || true
  api_pid=
  echo "$kb"
}

measure() {  # LABEL BIN
  rm -rf "$W/empty" "$W/full"
  mkdir -p "$W/empty/data" "$W/full/data"
  local empty full
  empty=$(rss_kb "$2" "$W/empty")
  generate "$W/full/data" "$RECORDS"
  full=$(rss_kb "$2" "$W/full")
  awk -v l="$1" -v e="$empty" -v f="$full" -v n="$RECORDS" 'BEGIN {
    printf "%-8s records=%d rss_empty_kb=%d rss_full_kb=%d bytes_per_record=%.0f\n",
           l, n, e, f, (f - e) * 1024 / n }'
}

measure new "$BUILD/api/chipmunk-api"
if [ -n "${BASELINE:-}" ]; then
  measure base "$(cd "$BASELINE" && pwd)/api/chipmunk-api"
fi
