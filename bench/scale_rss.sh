# SPDX-License-Identifier: MIT
# bench/scale.sh section "rss" (sourced): RSS with BIG (and with MILLION=yes 1M) records and
# as many users, after the admin listing loaded them, per backend.
echo
echo "== rss: resident memory with N records (users: as many), after an admin /hosts listing"
sizes_rss=$BIG
[ "$MILLION" = yes ] && sizes_rss="$sizes_rss 1000000"
for n in $sizes_rss; do
  d="$W/rss-$n"
  if [ -d "$W/hosts-$n" ]; then
    d="$W/hosts-$n"
    echo "   file $n records: see rss1 of hosts above"
  else
    gen "$d" "$n" "$n" no
  fi
  for b in $BUILDS; do
    [ "$d" = "$W/rss-$n" ] || break
    start_api "rss-$b" "$b" "$d" || continue
    rss0=$(rss_kb "$PID")
    read -r t bytes code <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
    rss1=$(rss_kb "$PID")
    stop_pid "$PID" 600 > /dev/null
    result rss "file-rss-kB-$n(lower)" "$b" "$rss1"
    echo "   file $b $n records: RSS $((rss0 / 1024)) MB after start, $((rss1 / 1024)) MB after the" \
      "listing ($t ms, $bytes bytes, $code); $((rss1 * 1024 / n)) B/record"
  done
  # The PostgreSQL backend: the same records copied in with chipmunk-api migrate.
  db="chipmunk_rss_$n"
  psqlc -d postgres -c "CREATE DATABASE $db"
  if ! "${BIN[new]}" migrate --from "file:$d/data" --to "postgresql:$(conninfo "$db")" \
    > "$W/rss-migrate-$n.out" 2>&1; then
    echo "   postgresql $n records: skipped: needs [Store] backend = postgresql ($(tail -n1 "$W/rss-migrate-$n.out" | cut -c1-100))"
    continue
  fi
  for b in $BUILDS; do
    mkdir -p "$W/rss-pg-$n-$b/data"
    cp "$d/users.ini" "$W/rss-pg-$n-$b/"
    start_api "rss-pg-$b" "$b" "$W/rss-pg-$n-$b" "$(pg_store "$db")" || continue
    rss0=$(rss_kb "$PID")
    read -r t bytes code <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
    rss1=$(rss_kb "$PID")
    stop_pid "$PID" 600 > /dev/null
    result rss "pg-rss-kB-$n(lower)" "$b" "$rss1"
    echo "   postgresql $b $n records: RSS $((rss0 / 1024)) MB after start, $((rss1 / 1024)) MB" \
      "after the listing ($t ms, $bytes bytes, $code); $((rss1 * 1024 / n)) B/record"
  done
done
