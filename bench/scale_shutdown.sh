# SPDX-License-Identifier: MIT
# bench/scale.sh section "shutdown" (sourced): BIG records seen again (one /set each, same
# address: only last-seen changes, kept in memory until a flush; flush_interval is 1h here),
# then SIGTERM: seconds until the process exits, per backend (SHUTDOWN_BACKENDS="file
# postgresql"; users in the INI for both). Then the server is started again on the same
# store and the records whose last_seen is from the run are counted through /hosts (admin,
# pages of 1000): a fast exit that dropped the save does not pass for a fast save.
SHUTDOWN_BACKENDS=${SHUTDOWN_BACKENDS:-"file postgresql"}
echo
echo "== shutdown: SIGTERM after $BIG records' last-seen changed (one /set each, address unchanged)"
[ -d "$W/hosts-$BIG" ] || gen "$W/hosts-$BIG" "$BIG" "$BIG" no
auths "$BIG" "$W/shutdown-auths"
load=$((BIG / 2000 + 10))
# seen_since PORT T: how many records /hosts shows with last_seen >= T (Unix seconds).
seen_since() {
  python3 - "$1" "$2" << 'PY'
import base64, json, sys, urllib.request
from datetime import datetime
port, since, cursor, n = sys.argv[1], int(sys.argv[2]), None, 0
auth = "Basic " + base64.b64encode(b"admin:pw").decode()
for _ in range(100000):
    url = "http://127.0.0.1:%s/hosts?limit=1000" % port + ("&cursor=" + cursor if cursor else "")
    page = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth}), timeout=60))
    for h in page["hosts"]:
        t = h["last_seen"]
        if t and datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() >= since:
            n += 1
        elif h["name"] != "alice":
            print("not seen:", h["name"], t, file=sys.stderr)
    cursor = page["next"]
    if not cursor:
        break
print(n)
PY
}
for backend in $SHUTDOWN_BACKENDS; do
  for b in $BUILDS; do
    dir="$W/hosts-$BIG" store=""
    if [ "$backend" = postgresql ]; then
      dir="$W/shutdown-pg-$b"
      mkdir -p "$dir/data"
      cp "$W/hosts-$BIG/users.ini" "$dir/"
      gen_pg "chipmunk_shutdown_$b" "$b" 0 "$BIG" > "$W/shutdown-gen-$b.out" 2>&1 || {
        echo "   $backend $b: skipped: $(tail -n1 "$W/shutdown-gen-$b.out" | cut -c1-160)"
        continue
      }
      store=$(pg_store "chipmunk_shutdown_$b")
    fi
    start_api "shutdown-$backend-$b" "$b" "$dir" "$store" || continue
    t0=$(date +%s)
    read -r rps _ _ err bad requests saved <<< "$(wrk_set "http://127.0.0.1:$PORT/set" 64 "$load" \
      "$W/shutdown-auths" same "$BIG")"
    rss=$(rss_kb "$PID")
    secs=$(stop_pid "$PID" "$SHUTDOWN_WAIT")
    [ "${secs#>}" = "$secs" ] && result shutdown "$backend-seconds-$BIG(lower)" "$b" "$secs"
    note=""
    [ "$requests" -ge "$BIG" ] || note=" (only $requests requests in ${load}s: fewer records changed)"
    [ "${secs#>}" = "$secs" ] && secs="${secs}s" || secs="${secs}s (still running: SIGKILL, the save cut short)"
    kept="?"
    if start_api "shutdown-check-$backend-$b" "$b" "$dir" "$store"; then
      kept=$(seen_since "$PORT" "$t0" 2> "$W/shutdown-unseen-$backend-$b" || echo "?")
      head -n3 "$W/shutdown-unseen-$backend-$b" | sed "s/^/   /"
      stop_pid "$PID" "$SHUTDOWN_WAIT" > /dev/null
    fi
    echo "   $backend $b: exit after ${secs} (RSS before: $((rss / 1024)) MB; $requests requests," \
      "$bad non-2xx, $saved saved); after a restart $kept of $BIG records show the run's" \
      "last_seen$note"
  done
done
stop_timeout=$(sed -n 's/^TimeoutStopSec=//p' "$ROOT/scripts/systemd/chipmunk-api.service")
echo "   (scripts/systemd/chipmunk-api.service stops after TimeoutStopSec=${stop_timeout:-90s (systemd default)})"
