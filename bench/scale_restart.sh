# SPDX-License-Identifier: MIT
# bench/scale.sh section "restart" (sourced): BIG users with hashed passwords, right after a
# start every request is a user's first login (its KDF); 64 connections, RESTART_DURATION s.
echo
echo "== restart: /set right after a start with $BIG hashed users (every request a first login)," \
  "64 connections, ${RESTART_DURATION}s"
gen "$W/restart" "$BIG" "$BIG" yes
auths "$BIG" "$W/restart-auths"
for b in $BUILDS; do
  t0=$(date +%s.%N)
  start_api "restart-$b" "$b" "$W/restart" || {
    echo "   $b: did not start"
    continue
  }
  up=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1 - $2}')
  read -r rps p50 p99 err bad requests _ <<< "$(wrk_set "http://127.0.0.1:$PORT/set" 64 \
    "$RESTART_DURATION" "$W/restart-auths" same)"
  stop_pid "$PID" 60 > /dev/null
  ok=$(awk -v r="$requests" -v b="$bad" -v d="$RESTART_DURATION" 'BEGIN {printf "%.1f", (r - b) / d}')
  result restart "passwords-p99-ms(lower)" "$b" "$p99"
  result restart "passwords-ok/s" "$b" "$ok"
  echo "   $b passwords: up in ${up}s; $requests answered, $bad non-2xx (503/408), $err socket" \
    "errors/timeouts; 2xx/s $ok; p50 ${p50} ms, p99 ${p99} ms"
done
if "${BIN[new]}" --help 2>&1 | grep -qw token; then
  echo "   tokens: skipped: needs this section to learn the token command's syntax (bench/scale_restart.sh)"
else
  echo "   tokens: skipped: needs update tokens (chipmunk-api token ...)"
fi
