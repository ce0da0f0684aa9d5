# SPDX-License-Identifier: MIT
# bench/scale.sh section "shutdown" (sourced): BIG records seen again (one /set each, same
# address: only last-seen changes, kept in memory), then SIGTERM: seconds until exit.
echo
echo "== shutdown: SIGTERM after $BIG records' last-seen changed (one /set each, address unchanged)"
[ -d "$W/hosts-$BIG" ] || gen "$W/hosts-$BIG" "$BIG" "$BIG" no
auths "$BIG" "$W/shutdown-auths"
load=$((BIG / 2000 + 10))
for b in $BUILDS; do
  start_api "shutdown-$b" "$b" "$W/hosts-$BIG" || continue
  read -r rps _ _ err bad requests saved <<< "$(wrk_set "http://127.0.0.1:$PORT/set" 64 "$load" \
    "$W/shutdown-auths" same "$BIG")"
  rss=$(rss_kb "$PID")
  secs=$(stop_pid "$PID" "$SHUTDOWN_WAIT")
  [ "${secs#>}" = "$secs" ] && result shutdown "seconds-$BIG(lower)" "$b" "$secs"
  note=""
  [ "$requests" -ge "$BIG" ] || note=" (only $requests requests in ${load}s: fewer records changed)"
  [ "${secs#>}" = "$secs" ] && secs="${secs}s" || secs="${secs}s (still running: SIGKILL, the save cut short)"
  echo "   $b: exit after ${secs} (RSS before: $((rss / 1024)) MB; $requests requests," \
    "$bad non-2xx, $saved saved)$note"
done
stop_timeout=$(sed -n 's/^TimeoutStopSec=//p' "$ROOT/scripts/systemd/chipmunk-api.service")
echo "   (scripts/systemd/chipmunk-api.service stops after TimeoutStopSec=${stop_timeout:-90s (systemd default)})"
