#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue #13's scale figures, in one run, on loopback, against a temporary real PostgreSQL
# (initdb -A trust in a temp dir, Unix socket only, run as user postgres when root):
#   writes    durable changed-address writes/s of chipmunk-api (/set, a new X-Real-IP per
#             request from a trusted 127.0.0.1, WRITE_USERS users) vs pgbench's single-row
#             upsert (synchronous_commit = on) at CLIENTS clients: the file store and, once
#             `[Store] backend = postgresql` starts, the PostgreSQL backend; ratio to pgbench
#             (WRITE_ROUNDS rounds side by side, each bracketed by pgbench runs; medians of
#             the rounds' ratios: the disk's fsync time drifts)
#   restart   BIG users with $pbkdf2-sha256$ hashes, first logins right after a start: 64
#             connections, every request a user not yet verified; p50/p99 and refusals
#             (tokens: once `chipmunk-api token` exists)
#   hosts     per size in SIZES (users = records): GET /hosts as a plain user (own record)
#             and the first admin page (/hosts?limit=100 as a read_all user), in ms
#   rss       VmRSS after start and after the admin listing, bytes per record; the file
#             store with INI users, the PostgreSQL backend with its users in the store's
#             directory (records and users written by SQL); MILLION=yes adds 1M records
#   shutdown  BIG records whose last-seen changed (one /set each, address unchanged), then
#             SIGTERM: seconds until the process exits, both backends; a restart counts the
#             records whose last_seen was kept
#   replicas  two chipmunk-api replicas (one PostgreSQL) behind nginx vs one: CPU per /set
#   usercache (not in the default list) PostgreSQL backend: RSS after CACHE_LOGINS (10000)
#             distinct directory users logged in, per logged-in user (bench/scale_usercache.sh)
#   rfc2136   what a gateway push adds: TSIG-signed DNS UPDATEs/s to a real BIND (1 and 8
#             senders), UPDATES of them
# A measurement whose feature has not landed prints "skipped: needs X".
#
# Before/after: BASELINE=/path/to/other/build runs every chipmunk-api measurement with that
# build's binary too (same data, same order) and prints new / baseline per figure.
#
#   bench/scale.sh [BUILD_DIR]        (default: build)
#   env: SECTIONS="writes restart hosts rss shutdown replicas rfc2136" SIZES="1000 10000 100000"
#        BIG=100000 MILLION=no CLIENTS="1 8 64" DURATION=5 WRITE_USERS=1000 WRITE_ROUNDS=3
#        RESTART_DURATION=10 SHUTDOWN_WAIT=120 UPDATES=2000 BASELINE=other/build (optional)
#        HOSTS_ROUNDS=5 RSS_BACKENDS="file postgresql" SHUTDOWN_BACKENDS="file postgresql"
#        TMPDIR=/dev/shm (the cluster and data directories on tmpfs: fsync free, CPU only)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
SECTIONS=${SECTIONS:-"writes restart hosts rss shutdown replicas rfc2136"}
SIZES=${SIZES:-"1000 10000 100000"}
BIG=${BIG:-100000}
MILLION=${MILLION:-no}
CLIENTS=${CLIENTS:-"1 8 64"}
DURATION=${DURATION:-5}
WRITE_USERS=${WRITE_USERS:-1000}
WRITE_ROUNDS=${WRITE_ROUNDS:-3}
RESTART_DURATION=${RESTART_DURATION:-10}
SHUTDOWN_WAIT=${SHUTDOWN_WAIT:-120}
BUILDS="new"
declare -A BIN=([new]="$BUILD/api/chipmunk-api")
if [ -n "${BASELINE:-}" ]; then
  BIN[base]="$(cd "$BASELINE" && pwd)/api/chipmunk-api"
  BUILDS="new base"
fi

for tool in wrk nginx curl base64 python3 pgbench psql; do
  command -v "$tool" > /dev/null || {
    echo "scale.sh: $tool not found (scripts/install-deps.sh --tests)" >&2
    exit 2
  }
done
for b in $BUILDS; do
  [ -x "${BIN[$b]}" ] || {
    echo "scale.sh: ${BIN[$b]} missing; build it (scripts/build.sh chipmunk-api)" >&2
    exit 2
  }
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n1)
[ -x "$PGBIN/initdb" ] || {
  echo "scale.sh: PostgreSQL not installed (scripts/install-deps.sh --tests)" >&2
  exit 2
}

W=$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-scale.XXXXXX")  # TMPDIR=/dev/shm: a disk whose fsync is free
chmod 711 "$W"  # the postgres user reaches its directory below
PIDS=()
cleanup() {
  [ -f "$W/nginx/nginx.pid" ] && kill "$(cat "$W/nginx/nginx.pid")" 2> /dev/null || true
  # PostgreSQL's fast shutdown (SIGINT): SIGTERM waits for its sessions, and one run left
  # it running past the removal of its data directory.
  [ -n "${PG_PID:-}" ] && kill -INT "$PG_PID" 2> /dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/bench/lib.sh"  # free_port, nginx_conf_head, cpu_ticks
wait_port() {  # port pid seconds: 0 once something listens; 1 when pid died or time ran out
  local i
  for i in $(seq 1 $(($3 * 20))); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
    kill -0 "$2" 2> /dev/null || return 1
    sleep 0.05
  done
  return 1
}
stop_pid() {  # pid seconds: SIGTERM, wait up to seconds, then SIGKILL; prints seconds taken
  # (">N" when it was killed)
  local pid=$1 t0 i
  t0=$(date +%s.%N)
  kill -TERM "$pid" 2> /dev/null || true
  for i in $(seq 1 $(($2 * 20))); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2> /dev/null; then
    kill -KILL "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null || true
    echo ">$2"
    return 0
  fi
  wait "$pid" 2> /dev/null || true
  echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1 - $2}'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
# result SECTION KEY BUILD VALUE: one figure, kept for the new / baseline summary.
result() { echo "$1 $2 $3 $4" >> "$W/results"; }

# --- PostgreSQL: initdb in the temp dir, Unix socket only ---------------------------------
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi; }
mkdir -p "$W/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$W/pg"
as_pg "$PGBIN/initdb" -D "$W/pg/data" -A trust -U postgres -E UTF8 --no-locale > "$W/pg/initdb.log" 2>&1
as_pg "$PGBIN/postgres" -D "$W/pg/data" -k "$W/pg" -p 5432 -c listen_addresses= \
  -c max_connections=300 -c synchronous_commit=on -c fsync=on > "$W/pg/server.log" 2>&1 &
PG_PID=$!
PIDS+=("$PG_PID")
for _ in $(seq 1 200); do
  "$PGBIN/pg_isready" -q -h "$W/pg" -p 5432 -U postgres && break
  kill -0 "$PG_PID" 2> /dev/null || break
  sleep 0.1
done
"$PGBIN/pg_isready" -q -h "$W/pg" -p 5432 -U postgres || {
  cat "$W/pg/server.log" >&2
  exit 1
}
psqlc() { psql -X -q -v ON_ERROR_STOP=1 -h "$W/pg" -p 5432 -U postgres "$@"; }
psqlc -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE chipmunk"
conninfo() { echo "host=$W/pg port=5432 user=postgres dbname=${1:-chipmunk}"; }

# --- data --------------------------------------------------------------------------------
# gen DIR USERS RECORDS HASHED: DIR/data with RECORDS records u0000001.. (address 10.x.y.z
# from the number) and DIR/users.ini with USERS [Users] lines (password "pw", or one
# $pbkdf2-sha256$ hash of it when HASHED=yes: every user still pays the KDF once), plus
# admin (read_all) and alice (a plain user owning the record "alice").
HASH=
gen() {
  local dir=$1 users=$2 records=$3 hashed=$4 secret=pw
  if [ "$hashed" = yes ]; then
    [ -n "$HASH" ] || HASH=$(printf 'pw\n' | "${BIN[new]}" hash-password)
    secret=$HASH
  fi
  mkdir -p "$dir/data"
  python3 - "$dir" "$users" "$records" "$secret" << 'PY'
import json, os, sys, time
d, users, records, secret = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
now = int(time.time()) - 3600
def ip(k): return "10.%d.%d.%d" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
def write(name, k):
    with open(os.path.join(d, "data", name + ".cm"), "w") as f: f.write(ip(k) + "\n")
    with open(os.path.join(d, "data", name + ".json"), "w") as f:
        json.dump({"name": name, "ip": ip(k), "ipv4": ip(k), "ipv6": None, "first_seen": now,
                   "changed_at": now, "last_seen": now, "ttl": 0, "expired": False,
                   "expired_at": 0, "metadata": {}}, f)
for k in range(1, records + 1): write("u%07d" % k, k)
write("alice", 0x10203)
with open(os.path.join(d, "users.ini"), "w") as f:
    f.write("[Users]\nadmin = pw\nalice = pw\n")
    f.writelines("u%07d = %s\n" % (k, secret) for k in range(1, users + 1))
PY
}
# gen_pg DB BUILD USERS RECORDS: database DB with the schema of BUILD's chipmunk-api (made by
# its `user list`), RECORDS records u0000001.. (as gen's, plus alice) written by SQL (a
# migrate of 1M records would take hours) and USERS directory users (chipmunk_users, as
# `chipmunk-api user add` keeps them; one shared hash) u0000001..; DIR/pg-DB.ini reaches it.
gen_pg() {
  local db=$1 build=$2 users=$3 records=$4 ini="$W/pg-$1.ini"
  [ -n "$HASH" ] || HASH=$(printf 'pw\n' | "${BIN[new]}" hash-password)
  psqlc -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  printf '[Paths]\nclient_update_dir = %s\n[Store]\n%s\n' "$W" "$(pg_store "$db")" > "$ini"
  "${BIN[$build]}" user list --config "$ini" > /dev/null
  psqlc -d "$db" -v hash="$HASH" << SQL
BEGIN;
INSERT INTO chipmunk_records (name, ip, ipv4, first_seen, changed_at, last_seen)
  SELECT name, ip, ip, t, t, t FROM (SELECT 'u' || lpad(k::text, 7, '0') AS name,
    format('10.%s.%s.%s', (k >> 16) & 255, (k >> 8) & 255, k & 255) AS ip,
    extract(epoch FROM now())::bigint - 3600 AS t FROM generate_series(1, $records) k) g
  UNION ALL SELECT 'alice', '10.1.2.3', '10.1.2.3', 1, 1, 1;
INSERT INTO chipmunk_users (name, secret)
  SELECT 'u' || lpad(k::text, 7, '0'), :'hash' FROM generate_series(1, $users) k;
UPDATE chipmunk_directory_version SET version = version + 1;
COMMIT;
VACUUM ANALYZE;
SQL
}
# start_api NAME BUILD DIR [STORE_LINES]: DIR/api.ini (trusting X-Real-IP from 127.0.0.1,
# admin reads all) + DIR/users.ini; sets PORT and PID. 1 when it does not start in 120 s.
start_api() {
  local name=$1 build=$2 dir=$3 store=${4:-}
  PORT=$(free_port)
  cat > "$dir/api.ini" << INI
[Server]
listen = 127.0.0.1:$PORT
threads = 2
trusted_proxies = 127.0.0.1/32
client_ip_header = x-real-ip
[Paths]
client_update_dir = data
[Log]
file = api-$name.log
level = warn
[Limits]
max_failed_logins = 0
[Store]
flush_interval = 1h
$store
[Access]
read_all = admin
INI
  cat "$dir/users.ini" >> "$dir/api.ini"
  local try
  for try in 1 2 3; do  # a port free to connect to may still be a client's (TIME_WAIT)
    "${BIN[$build]}" --config "$dir/api.ini" > "$dir/api-$name.out" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    wait_port "$PORT" "$PID" 120 && return 0
    grep -q "Address already in use" "$dir/api-$name.out" || break
    wait "$PID" 2> /dev/null || true
    PORT=$(free_port)
    sed -i "s/^listen = 127.0.0.1:.*/listen = 127.0.0.1:$PORT/" "$dir/api.ini"
  done
  stop_pid "$PID" 5 > /dev/null
  echo "   $name: did not start on port $PORT: $(tail -n3 "$dir/api-$name.out" | tr '\n' ' ' | cut -c1-300)"
  return 1
}
pg_store() { printf 'backend = postgresql\npostgresql = %s\n' "$(conninfo "$1")"; }

# Authorization header values of u0000001..uN (password pw), one a line, for the Lua scripts.
auths() {
  python3 - "$1" "$2" << 'PY'
import base64, sys
with open(sys.argv[2], "w") as f:
    for k in range(1, int(sys.argv[1]) + 1):
        f.write("Basic " + base64.b64encode(b"u%07d:pw" % k).decode() + "\n")
PY
}
# set.lua: every request /set as the next user; MODE=change: a new 198.18/15 address each
# time (a durable write); MODE=same: the record's own 10.x.y.z address (last-seen only);
# after LIMIT requests (0: none) it asks /healthz. Counts "saved" answers.
cat > "$W/set.lua" << 'LUA'
local auths = {}
for line in io.lines(os.getenv("AUTHS")) do auths[#auths + 1] = line end
local mode, limit = os.getenv("MODE"), tonumber(os.getenv("LIMIT") or "0")
local n, seed, threads = 0, tonumber(os.getenv("SEED") or "0"), {}
saved = 0  -- a global: done() reads it from each thread
setup = function(thread) table.insert(threads, thread) end
request = function()
  n = n + 1
  -- wrk drops some of the first requests it asks for: 256 more wrap around to the first users
  if limit > 0 and n > limit + 256 then return wrk.format("GET", "/healthz") end
  local u = (n - 1) % #auths + 1
  local ip
  if mode == "same" then
    ip = string.format("10.%d.%d.%d", math.floor(u / 65536) % 256, math.floor(u / 256) % 256, u % 256)
  else
    local a = (n + seed) % 131072
    ip = string.format("198.%d.%d.%d", 18 + math.floor(a / 65536), math.floor(a / 256) % 256, a % 256)
  end
  return wrk.format("GET", "/set", {["Authorization"] = auths[u], ["X-Real-IP"] = ip})
end
-- COUNT=metrics: no response(): wrk then parses no answer into Lua (10-18 % of its CPU
-- at 1 connection); the caller counts "saved" from the server's /metrics instead.
if os.getenv("COUNT") ~= "metrics" then
  response = function(status, headers, body)
    if status == 200 and body:find('"saved"', 1, true) then saved = saved + 1 end
  end
end
done = function(summary, latency, requests)
  local s = 0
  for _, t in ipairs(threads) do s = s + (t:get("saved") or 0) end
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout, e.status,
    summary.requests, s))
end
LUA
# saved_count PORT: the store writes that saved a change, from chipmunk-api's /metrics
# (loopback: no credentials); a build without chipmunk_api_store_writes_total: its /set 200s.
saved_count() {
  curl -s --max-time 10 "http://127.0.0.1:$1/metrics" | awk '
    /^chipmunk_api_store_writes_total\{outcome="saved"\} / {s = $2; f = 1}
    /^chipmunk_api_requests_total\{route="\/set",code="200"\} / {r = $2}
    END {printf "%d", (f ? s : r + 0)}'
}
# wrk_set URL CONNECTIONS SECONDS AUTHS MODE [LIMIT] -> "req/s p50 p99 sockerr non2xx requests saved"
# COUNT=metrics: saved from the server's /metrics (URL a chipmunk-api on 127.0.0.1, not a proxy).
wrk_set() {
  local out before port
  port=$(sed -E 's|^http://127\.0\.0\.1:([0-9]+)/.*|\1|' <<< "$1")
  [ "${COUNT:-}" = metrics ] && before=$(saved_count "$port")
  out=$(AUTHS=$4 MODE=$5 LIMIT=${6:-0} SEED=$RANDOM COUNT=${COUNT:-} timeout $(($3 + 60)) \
    wrk -t1 -c"$2" -d"$3s" --timeout 30s -s "$W/set.lua" "$1" 2> /dev/null || true)
  if [ "${COUNT:-}" = metrics ]; then
    out=$(awk -v n=$(($(saved_count "$port") - before)) '/^RESULT/ {$8 = (n < $7 ? n : $7)} {print}' <<< "$out")
  fi
  awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7, $8; f = 1} END {if (!f) print "0 0 0 -1 -1 0 0"}' <<< "$out"
}
ms() { curl -s -o /dev/null --max-time 600 -w '%{time_total} %{size_download} %{http_code}' -u "$1" "$2" | awk '{printf "%.1f %d %s", $1 * 1000, $2, $3}'; }

echo "== scale.sh on $(nproc) CPUs, $(uname -r); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'); load: $(uptime | sed 's/.*load/load/')"
echo "   builds: ${BIN[*]}"
for section in $SECTIONS; do
  . "$ROOT/bench/scale_$section.sh"
done

if [ -n "${BASELINE:-}" ]; then
  echo
  echo "== new / baseline (same run): writes and p99/ms: lower-is-better figures are marked (lower)"
  awk '{v[$1 " " $2 " " $3] = $4; if ($3 == "new") k[++n] = $1 " " $2}
    END {for (i = 1; i <= n; i++) if ((k[i] " base") in v && v[k[i] " base"] > 0)
      printf "  %-40s %8.2f\n", k[i], v[k[i] " new"] / v[k[i] " base"]}' "$W/results"
fi
echo "== done; load: $(uptime | sed 's/.*load/load/')"
