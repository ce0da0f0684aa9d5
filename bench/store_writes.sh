#!/bin/bash
# SPDX-License-Identifier: MIT
# Durable changed-address writes/s of chipmunk-api's file store against PostgreSQL's
# single-row upsert (pgbench, synchronous_commit = on), on the same disk, in one run.
#   file   wrk with GET /set over keep-alive connections, every request from a new address
#          (X-Forwarded-For through trusted_proxies = 127.0.0.1) for one of USERS users
#          (plaintext passwords: no KDF), so every answer is a durable write ("saved")
#   pg     pgbench -f upsert.sql: INSERT ... ON CONFLICT (name) DO UPDATE SET ip, a random
#          one of USERS names, a random address; a temporary cluster (initdb in a temp dir,
#          Unix socket only), default settings (fsync and synchronous_commit on)
# At CLIENTS concurrent clients each; prints writes/s and file/pg ratios. BASELINE=other/build
# adds that build's chipmunk-api (same configuration) as "base". Everything started here is
# stopped by PID on exit.
#
#   bench/store_writes.sh [BUILD_DIR]       (default: build)
#   env: CLIENTS="1 8 64" DURATION=5 USERS=1024 WRK_THREADS=2 BASELINE=
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
CLIENTS=${CLIENTS:-"1 8 64"}
DURATION=${DURATION:-5}
USERS=${USERS:-1024}
WRK_THREADS=${WRK_THREADS:-2}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
for tool in wrk base64 "$PGBIN/pgbench" "$PGBIN/initdb"; do
  command -v "$tool" > /dev/null || {
    echo "store_writes.sh: $tool not found (scripts/install-deps.sh --tests)" >&2
    exit 2
  }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-store-writes.XXXXXX")
chmod 755 "$W"  # PostgreSQL runs as its own user below
PIDS=()
cleanup() {
  # SIGINT: PostgreSQL's fast shutdown; chipmunk-api stops on it too.
  if [ ${#PIDS[@]} -gt 0 ]; then
    kill -INT "${PIDS[@]}" 2> /dev/null || true
    wait "${PIDS[@]}" 2> /dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT
AS_POSTGRES=()
[ "$(id -u)" = 0 ] && AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --clear-groups --)

# --- PostgreSQL -------------------------------------------------------------------------
mkdir -p "$W/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$W/pg"
"${AS_POSTGRES[@]}" "$PGBIN/initdb" -D "$W/pg/data" -A trust -U postgres -E UTF8 --no-locale > /dev/null
"${AS_POSTGRES[@]}" "$PGBIN/postgres" -D "$W/pg/data" -k "$W/pg" -p 5432 -c listen_addresses= \
  -c max_connections=200 > "$W/pg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  "$PGBIN/pg_isready" -q -h "$W/pg" -p 5432 -U postgres && break
  sleep 0.2
done
PSQL=("$PGBIN/psql" -X -q -h "$W/pg" -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1)
"${PSQL[@]}" -c "CREATE TABLE records (name text PRIMARY KEY, ip text NOT NULL)"
"${PSQL[@]}" -c "INSERT INTO records SELECT 'u' || i, '10.0.0.1' FROM generate_series(1, $USERS) i"
cat > "$W/upsert.sql" << SQL
\set n random(1, $USERS)
\set a random(1, 16000000)
INSERT INTO records (name, ip) VALUES ('u' || :n, '10.' || :a) ON CONFLICT (name) DO UPDATE SET ip = EXCLUDED.ip;
SQL
pg_tps() {  # CLIENTS
  local j=$(($1 < 4 ? $1 : 4))
  "$PGBIN/pgbench" -n -h "$W/pg" -p 5432 -U postgres -f "$W/upsert.sql" -c "$1" -j "$j" \
    -T "$DURATION" postgres 2> /dev/null | awk '/^tps = / {printf "%.0f", $3}'
}

# --- chipmunk-api -----------------------------------------------------------------------
. "$ROOT/scripts/lib/api_ini.sh"
{
  echo "auth = {"
  for i in $(seq 1 "$USERS"); do
    printf '"Basic %s",\n' "$(printf 'u%s:pw%s' "$i" "$i" | base64 -w0)"
  done
  echo "}"
  cat << 'LUA'
local n = 0
local id = 0
local ok = 0
function setup(thread)
  thread:set("id", id)
  id = id + 1
end
function init(args)
  n = id * 4000000
end
function request()
  n = n + 1
  local a = n % 16000000 + 1
  local ip = string.format("10.%d.%d.%d", math.floor(a / 64516) % 250 + 1,
                           math.floor(a / 254) % 254, a % 254 + 1)
  local user = n % #auth + 1
  return wrk.format("GET", "/set", {["Authorization"] = auth[user], ["X-Forwarded-For"] = ip})
end
LUA
} > "$W/set.lua"
start_api() {  # NAME BIN -> PORT_<NAME>
  local dir="$W/$1"
  write_api_ini "$dir" info 2
  {
    echo "listen = 127.0.0.1:0"
    echo "trusted_proxies = 127.0.0.1"
    echo "[Users]"
    for i in $(seq 1 "$USERS"); do echo "u$i = pw$i"; done
  } >> "$dir/api.ini"
  sed -i 's/^level = info/level = warn/' "$dir/api.ini"
  # run_api waits for the "listening" line, which level = warn hides: poll the port instead.
  "$2" --config "$dir/api.ini" > "$dir/out.log" 2>&1 &
  PIDS+=($!)
  local port=
  for _ in $(seq 100); do
    port=$(ss -ltnp 2> /dev/null | awk -v p="pid=$!," '$0 ~ p {sub(/.*:/, "", $4); print $4; exit}')
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "store_writes.sh: $1 did not start" >&2; cat "$dir/out.log" >&2; exit 1; }
  printf -v "PORT_$1" '%s' "$port"
}
file_wps() {  # PORT CLIENTS
  local t=$(($2 < WRK_THREADS ? $2 : WRK_THREADS))
  wrk -t "$t" -c "$2" -d "${DURATION}s" -s "$W/set.lua" "http://127.0.0.1:$1/" > "$W/wrk.out"
  if grep -qE "Non-2xx|Socket errors" "$W/wrk.out"; then
    echo "store_writes.sh: some writes failed: $(grep -E "Non-2xx|Socket errors" "$W/wrk.out")" >&2
  fi
  awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$W/wrk.out"
}
start_api new "$BUILD/api/chipmunk-api"
[ -n "${BASELINE:-}" ] && start_api base "$(cd "$BASELINE" && pwd)/api/chipmunk-api"

printf '%-8s %10s %10s %8s' clients pg_tps file_wps file/pg
[ -n "${BASELINE:-}" ] && printf ' %10s %8s %8s' base_wps base/pg new/base
echo
for c in $CLIENTS; do
  pg=$(pg_tps "$c")
  new=$(file_wps "$PORT_new" "$c")
  printf '%-8s %10s %10s %8.2f' "$c" "$pg" "$new" "$(echo "$new / $pg" | bc -l)"
  if [ -n "${BASELINE:-}" ]; then
    base=$(file_wps "$PORT_base" "$c")
    printf ' %10s %8.2f %8.2f' "$base" "$(echo "$base / $pg" | bc -l)" "$(echo "$new / $base" | bc -l)"
  fi
  echo
done
