# SPDX-License-Identifier: MIT
# bench/scale.sh section "hosts" (sourced): per size in SIZES (users = records, plain
# passwords), GET /hosts as a plain user (own record) and the first admin page
# (/hosts?limit=100; a server without pagination sends everything), RSS before and after.
echo
echo "== hosts: GET /hosts as a plain user (own record) and the first admin page, ms (median of" \
  "HOSTS_ROUNDS=${HOSTS_ROUNDS:-5})"
printf '   %-8s %-5s %10s %10s %12s %10s %10s %10s\n' records build own-ms admin-ms admin-bytes \
  rss0-MB rss1-MB B/record
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for n in $SIZES; do
  gen "$W/hosts-$n" "$n" "$n" no
  reps=${HOSTS_ROUNDS:-5}  # a paginated server answers in milliseconds: a median is cheap
  for b in $BUILDS; do
    start_api "hosts-$b" "$b" "$W/hosts-$n" || {
      echo "   $n $b: did not start"
      continue
    }
    rss0=$(rss_kb "$PID")
    own="" admin="" bytes=0
    for _ in $(seq 1 "$reps"); do
      read -r t _ code <<< "$(ms alice:pw "http://127.0.0.1:$PORT/hosts")"
      own="$own $t"
      read -r t bytes code2 <<< "$(ms admin:pw "http://127.0.0.1:$PORT/hosts?limit=100")"
      admin="$admin $t"
    done
    [ "$code" = 200 ] && [ "$code2" = 200 ] || echo "   unexpected status: own $code, admin $code2"
    rss1=$(rss_kb "$PID")
    stop_pid "$PID" 300 > /dev/null
    own=$(median <<< "$own")
    admin=$(median <<< "$admin")
    result hosts "own-ms-$n(lower)" "$b" "$own"
    result hosts "admin-page-ms-$n(lower)" "$b" "$admin"
    result rss "rss-kB-users+records-$n(lower)" "$b" "$rss1"
    printf '   %-8s %-5s %10s %10s %12s %10.1f %10.1f %10.0f\n' "$n" "$b" "$own" "$admin" "$bytes" \
      "$(echo "$rss0 / 1024" | bc -l)" "$(echo "$rss1 / 1024" | bc -l)" "$(echo "$rss1 * 1024 / $n" | bc)"
  done
done
echo "   rss0: after start ([Users] holds every user); rss1: after the requests above;" \
  "B/record: rss1 / records"
