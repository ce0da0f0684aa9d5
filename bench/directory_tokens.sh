#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# After a restart with many hashed users in the directory: how fast do update-token clients
# get answers, side by side with password clients whose hashes are not cached yet?
# Writes N users (one PBKDF2 hash at the default count, shared, so that generating them is
# quick) and N hosts into a fresh data directory, starts chipmunk-api on loopback, adds one
# host token, then while C password clients log in for the first time (each one a PBKDF2
# on the slow pool) sends R token /set requests one after another. Prints the start-up
# time, the time for a directory change to apply, RSS, and p50/p99 of both kinds.
# Usage: bench/directory_tokens.sh [N=100000] [R=200] [C=40]   (needs build/api/chipmunk-api)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh" # write_directory
bin="${API_BIN:-$root/build/api/chipmunk-api}"
n="${1:-100000}"
requests="${2:-200}"
cold="${3:-40}"
port=18941
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_LOG:-}" ] && trap 'cp "$tmp/log" "$KEEP_LOG"; cleanup' EXIT
mkdir "$tmp/data"
cat >"$tmp/api.ini" <<EOF
[Server]
listen = 127.0.0.1:$port
[Paths]
client_update_dir = $tmp/data
[Users]
admin = $(echo admin-pw | "$bin" hash-password --iterations 10000)
[Limits]
max_failed_logins = 0
EOF
hash="$(echo pw | "$bin" hash-password)"
write_directory "$tmp/data" "$n" "$hash"
ms() { date +%s%3N; }
t0=$(ms)
"$bin" --config "$tmp/api.ini" 2>"$tmp/log" &
pid=$!
for _ in $(seq 600); do
  curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.1
done
echo "users=$n start-up to first answer: $(($(ms) - t0)) ms"
t1=$(ms)
token="$("$bin" token add h0000042.example.org --config "$tmp/api.ini" 2>/dev/null)"
until grep -q "tokens=1" "$tmp/log"; do
  sleep 0.05
done
echo "token add to applied (CLI + server reload of the directory): $(($(ms) - t1)) ms"
echo "RSS: $(grep VmRSS /proc/$pid/status | awk '{print $2}') kB"
# Cold password logins in the background, each from its own loopback address (the slow
# pool queues at most 4 per source): each costs one PBKDF2 on the slow pool.
for i in $(seq "$cold"); do
  curl -s -o /dev/null -w "%{time_total}\n" -u "$(printf 'u%07d' "$i"):pw" \
    --interface "127.0.$((i / 250 + 1)).$((i % 250 + 1))" \
    "http://127.0.0.1:$port/set" >>"$tmp/password.times" &
done
for _ in $(seq "$requests"); do
  curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -u "h0000042.example.org:$token" \
    "http://127.0.0.1:$port/set?hostname=h0000042.example.org" >>"$tmp/token.times"
done
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true
python3 - "$tmp/token.times" "$tmp/password.times" <<'PY'
import sys
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000
tok = [l.split() for l in open(sys.argv[1])]
codes = {c for c, _ in tok}
t = [float(x) for _, x in tok]
pw = [float(l) for l in open(sys.argv[2]) if l.strip()]
print("token /set: %d requests, codes %s, p50 %.1f ms, p99 %.1f ms" %
      (len(t), ",".join(sorted(codes)), pct(t, .5), pct(t, .99)))
print("cold password /set: %d clients, p50 %.0f ms, p99 %.0f ms" %
      (len(pw), pct(pw, .5), pct(pw, .99)))
PY
