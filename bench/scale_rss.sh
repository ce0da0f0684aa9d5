# SPDX-License-Identifier: MIT
# bench/scale.sh section "rss" (sourced): RSS with BIG (and with MILLION=yes 1M) records and
# as many users, after the admin listing loaded them, per backend.
echo
echo "== rss: resident memory with N records (users: as many), after an admin /hosts listing"
sizes_rss=$BIG
case " $SECTIONS " in *" hosts "*) case " $SIZES " in *" $BIG "*)
  echo "   $BIG records: see rss1 of hosts above (file store)"
  sizes_rss="" ;; esac ;; esac
[ "$MILLION" = yes ] && sizes_rss="$sizes_rss 1000000"
for n in $sizes_rss; do
  gen "$W/rss-$n" "$n" "$n" no
  for b in $BUILDS; do
    start_api "rss-$b" "$b" "$W/rss-$n" || continue
    rss0=$(rss_kb "$PID")
    read -r t bytes code <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
    rss1=$(rss_kb "$PID")
    stop_pid "$PID" 600 > /dev/null
    result rss "file-rss-kB-$n(lower)" "$b" "$rss1"
    echo "   file $b $n records: RSS $((rss0 / 1024)) MB after start, $((rss1 / 1024)) MB after the" \
      "listing ($t ms, $bytes bytes, $code); $((rss1 * 1024 / n)) B/record"
  done
  if "${BIN[new]}" --help 2>&1 | grep -q "migrate"; then
    echo "   postgresql $n records: skipped: needs bench/scale_rss.sh to run migrate into the database"
  else
    echo "   postgresql $n records: skipped: needs [Store] backend = postgresql and chipmunk-api migrate"
  fi
done
