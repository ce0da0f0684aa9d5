# SPDX-License-Identifier: MIT
# bench/scale.sh section "rss" (sourced): RSS with BIG (and with MILLION=yes 1M) records and
# as many users, after the admin listing loaded them, per backend.
echo
echo "== rss: resident memory with N records (users: as many), after an admin /hosts listing"
# rss_of BACKEND N BUILD DIR [STORE_LINES]: starts the server on DIR, lists as admin, prints
# and records its RSS.
rss_of() {
  start_api "rss-$1-$3" "$3" "$4" "${5:-}" || return 0
  local rss0 rss1 t bytes code
  rss0=$(rss_kb "$PID")
  read -r t bytes code <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
  rss1=$(rss_kb "$PID")
  stop_pid "$PID" 600 > /dev/null
  result rss "$1-rss-kB-$2(lower)" "$3" "$rss1"
  echo "   $1 $3 $2 records: RSS $((rss0 / 1024)) MB after start, $((rss1 / 1024)) MB after the" \
    "listing ($t ms, $bytes bytes, $code); $((rss1 * 1024 / $2)) B/record"
}
sizes_rss=$BIG
[ "$MILLION" = yes ] && sizes_rss="$sizes_rss 1000000"
for n in $sizes_rss; do
  d="$W/rss-$n"
  if [ -d "$W/hosts-$n" ]; then
    d="$W/hosts-$n"
    echo "   file $n records: see rss1 of hosts above"
  else
    gen "$d" "$n" "$n" no
    for b in $BUILDS; do rss_of file "$n" "$b" "$d"; done
  fi
  # The PostgreSQL backend: the same records copied in with chipmunk-api migrate.
  db="chipmunk_rss_$n"
  psqlc -d postgres -c "CREATE DATABASE $db"
  if ! "${BIN[new]}" migrate --from "file:$d/data" --to "postgresql:$(conninfo "$db")" \
    > "$W/rss-migrate-$n.out" 2>&1; then
    echo "   postgresql $n records: skipped: needs [Store] backend = postgresql ($(tail -n1 "$W/rss-migrate-$n.out" | cut -c1-100))"
    continue
  fi
  echo "   postgresql $n records: $(tail -n1 "$W/rss-migrate-$n.out" | cut -c1-160)"
  psqlc -d "$db" -At -c "SELECT 'chipmunk_records with indexes: ' ||
    pg_size_pretty(pg_total_relation_size('chipmunk_records')) || ', ' ||
    pg_total_relation_size('chipmunk_records') / $n || ' B/record'" | sed 's/^/   /'
  for b in $BUILDS; do
    mkdir -p "$W/rss-pg-$n-$b/data"
    cp "$d/users.ini" "$W/rss-pg-$n-$b/"
    rss_of postgresql "$n" "$b" "$W/rss-pg-$n-$b" "$(pg_store "$db")"
  done
done
