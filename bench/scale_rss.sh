# SPDX-License-Identifier: MIT
# bench/scale.sh section "rss" (sourced): RSS with BIG (and with MILLION=yes 1M) records and
# as many users, after an admin listing and a directory user's login, per backend
# (RSS_BACKENDS="file postgresql"):
#   file        records in the data directory, users in the INI's [Users] (plain);
#   postgresql  records in chipmunk_records and the users in the store's directory
#               (chipmunk_users, as `chipmunk-api user add` keeps them: how a 1M deployment
#               holds them), only admin and alice in the INI.
RSS_BACKENDS=${RSS_BACKENDS:-"file postgresql"}
echo
echo "== rss: resident memory with N records and as many users, after an admin /hosts listing"
# rss_of BACKEND N BUILD DIR [STORE_LINES]: starts the server on DIR, lists as admin (and
# logs in as u0000001 with the PostgreSQL backend: its users are in the directory), prints
# and records its RSS.
rss_of() {
  start_api "rss-$1-$3" "$3" "$4" "${5:-}" || return 0
  local rss0 rss1 t bytes code login=""
  rss0=$(rss_kb "$PID")
  read -r t bytes code <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
  if [ "$1" = postgresql ]; then
    login=$(curl -s -o /dev/null --max-time 60 -w '%{http_code}' -u u0000001:pw \
      "http://127.0.0.1:$PORT/hosts")
    login="; directory user u0000001's /hosts: $login"
  fi
  rss1=$(rss_kb "$PID")
  stop_pid "$PID" 600 > /dev/null
  result rss "$1-rss-kB-$2(lower)" "$3" "$rss1"
  echo "   $1 $3 $2 records: RSS $((rss0 / 1024)) MB after start, $((rss1 / 1024)) MB after the" \
    "listing ($t ms, $bytes bytes, $code$login); $((rss1 * 1024 / $2)) B/record"
}
sizes_rss=$BIG
[ "$MILLION" = yes ] && sizes_rss="$sizes_rss 1000000"
for n in $sizes_rss; do
  if [[ " $RSS_BACKENDS " == *" file "* ]]; then
    d="$W/rss-$n"
    if [ -d "$W/hosts-$n" ]; then
      d="$W/hosts-$n"
      echo "   file $n records: see rss1 of hosts above"
    else
      gen "$d" "$n" "$n" no
      for b in $BUILDS; do rss_of file "$n" "$b" "$d"; done
      rm -rf "$d"
    fi
  fi
  [[ " $RSS_BACKENDS " == *" postgresql "* ]] || continue
  for b in $BUILDS; do
    db="chipmunk_rss_${n}_$b"
    t0=$(date +%s)
    gen_pg "$db" "$b" "$n" "$n" > "$W/rss-gen-$db.out" 2>&1 || {
      echo "   postgresql $b $n records: skipped: $(tail -n1 "$W/rss-gen-$db.out" | cut -c1-160)"
      continue
    }
    psqlc -d "$db" -At -c "SELECT 'generated in $(($(date +%s) - t0)) s; chipmunk_records with indexes: ' ||
      pg_size_pretty(pg_total_relation_size('chipmunk_records')) || ', ' ||
      pg_total_relation_size('chipmunk_records') / $n || ' B/record; chipmunk_users: ' ||
      pg_size_pretty(pg_total_relation_size('chipmunk_users'))" | sed "s/^/   postgresql $b $n: /"
    mkdir -p "$W/rss-pg-$n-$b/data"
    printf '[Users]\nadmin = pw\nalice = pw\n' > "$W/rss-pg-$n-$b/users.ini"
    rss_of postgresql "$n" "$b" "$W/rss-pg-$n-$b" "$(pg_store "$db")"
    psqlc -d postgres -c "DROP DATABASE $db"
  done
done
