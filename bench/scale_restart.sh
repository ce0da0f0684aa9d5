# SPDX-License-Identifier: MIT
# bench/scale.sh section "restart" (sourced): BIG users with hashed passwords, right after a
# start every request is a user's first login (its KDF); 64 connections, RESTART_DURATION s.
# Then the same users with one update token each (directory file data/.tokens), if the
# build has tokens.
echo
echo "== restart: /set right after a start with $BIG hashed users (every request a first login)," \
  "64 connections, ${RESTART_DURATION}s"
gen "$W/restart" "$BIG" "$BIG" yes
auths "$BIG" "$W/restart-auths"
# restart_run LABEL AUTHS: per build, a fresh start and one wrk run; prints the figures.
restart_run() {
  local b t0 up rps p50 p99 err bad requests ok
  for b in $BUILDS; do
    t0=$(date +%s.%N)
    start_api "restart-$b" "$b" "$W/restart" || {
      echo "   $b: did not start: $(tail -n2 "$W/restart/api-restart-$b.out" | tr '\n' ' ' | cut -c1-300)"
      continue
    }
    up=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1 - $2}')
    read -r rps p50 p99 err bad requests _ <<< "$(wrk_set "http://127.0.0.1:$PORT/set" 64 \
      "$RESTART_DURATION" "$2" same)"
    stop_pid "$PID" 60 > /dev/null
    ok=$(awk -v r="$requests" -v b="$bad" -v d="$RESTART_DURATION" 'BEGIN {printf "%.1f", (r - b) / d}')
    result restart "$1-p99-ms(lower)" "$b" "$p99"
    result restart "$1-ok/s" "$b" "$ok"
    echo "   $b $1: up in ${up}s; $requests answered, $bad non-2xx (503/408), $err socket" \
      "errors/timeouts; 2xx/s $ok; p50 ${p50} ms, p99 ${p99} ms"
  done
}
restart_run passwords "$W/restart-auths"
if "${BIN[new]}" --help 2>&1 | grep -q "token add"; then
  # One token per user, as `chipmunk-api token add uNNNNNNN` would store it (docs/USERS.md).
  python3 - "$W/restart" "$BIG" << 'PY'
import base64, hashlib, os, sys
d, n = sys.argv[1], int(sys.argv[2])
fd = os.open(os.path.join(d, "data", ".tokens"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as tokens, open(os.path.join(d, "token-auths"), "w") as auths:
    tokens.write("# chipmunk-api tokens: id owner sha256(secret) created hosts\n")
    for k in range(1, n + 1):
        tid, secret, user = "%012x" % k, os.urandom(20).hex(), "u%07d" % k
        tokens.write("%s %s %s 1700000000 *\n" % (tid, user, hashlib.sha256(secret.encode()).hexdigest()))
        cred = "%s:cmt_%s_%s" % (user, tid, secret)
        auths.write("Basic " + base64.b64encode(cred.encode()).decode() + "\n")
PY
  restart_run tokens "$W/restart/token-auths"
  rm -f "$W/restart/data/.tokens"
else
  echo "   tokens: skipped: needs update tokens (chipmunk-api token ...)"
fi
