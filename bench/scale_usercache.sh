# SPDX-License-Identifier: MIT
# bench/scale.sh section "usercache" (sourced): what the PostgreSQL backend's user cache
# costs. BIG records and directory users (gen_pg), their hashes replaced by one of 10,000
# iterations (so that CACHE_LOGINS first logins take a minute, not hours), then
# CACHE_LOGINS distinct users each GET /get/ip once (4 clients): RSS before and after, and
# per logged-in user. With the default [Store] user_cache (10,000).
CACHE_LOGINS=${CACHE_LOGINS:-10000}
echo
echo "== usercache: RSS after $CACHE_LOGINS distinct directory users logged in (PostgreSQL, $BIG users)"
LOW_HASH=$(printf 'pw\n' | "${BIN[new]}" hash-password --iterations 10000)
for b in $BUILDS; do
  db="chipmunk_cache_$b"
  gen_pg "$db" "$b" "$BIG" "$BIG" > "$W/cache-gen-$db.out" 2>&1 || {
    echo "   $b: skipped: $(tail -n1 "$W/cache-gen-$db.out" | cut -c1-160)"
    continue
  }
  psqlc -d "$db" -v hash="$LOW_HASH" << 'SQL'
UPDATE chipmunk_users SET secret = :'hash';
UPDATE chipmunk_directory_version SET version = version + 1;
SQL
  d="$W/cache-$b"
  mkdir -p "$d/data"
  printf '[Users]\nadmin = pw\nalice = pw\n' > "$d/users.ini"
  start_api "cache-$b" "$b" "$d" "$(pg_store "$db")" || continue
  rss0=$(rss_kb "$PID")
  t0=$(date +%s.%N)
  ok=$(python3 - "$PORT" "$CACHE_LOGINS" << 'PY'
import base64, http.client, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
ok = [0]
lock = threading.Lock()
def run(start):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for k in range(start, n + 1, 4):
        auth = base64.b64encode(b"u%07d:pw" % k).decode()
        c.request("GET", "/get/ip", headers={"Authorization": "Basic " + auth})
        r = c.getresponse()
        r.read()
        if r.status == 200:
            with lock:
                ok[0] += 1
threads = [threading.Thread(target=run, args=(s,)) for s in range(1, 5)]
for t in threads: t.start()
for t in threads: t.join()
print(ok[0])
PY
)
  secs=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
  rss1=$(rss_kb "$PID")
  stop_pid "$PID" 60 > /dev/null
  result usercache "rss-kB-after-$CACHE_LOGINS-logins(lower)" "$b" "$rss1"
  echo "   $b: RSS $((rss0 / 1024)) MB before, $((rss1 / 1024)) MB after $ok of $CACHE_LOGINS logins" \
    "(200) in $secs s; $(((rss1 - rss0) * 1024 / CACHE_LOGINS)) B per logged-in user"
  psqlc -d postgres -c "DROP DATABASE $db"
done
