# SPDX-License-Identifier: MIT
# bench/scale.sh section "replicas" (sourced): one vs two chipmunk-api replicas on one
# PostgreSQL behind nginx (loopback), changed-address /set at 64 connections: req/s and
# server CPU (replicas + nginx workers) per request.
echo
echo "== replicas: one vs two chipmunk-api behind nginx, one PostgreSQL, /set with changed addresses"
psqlc -d postgres -c "CREATE DATABASE chipmunk_rep"
gen "$W/rep" "$WRITE_USERS" 0 no
REP_PORTS=() REP_PIDS=()
for i in 1 2; do
  mkdir -p "$W/rep$i/data"
  cp "$W/rep/users.ini" "$W/rep$i/"
  start_api "rep$i" new "$W/rep$i" "$(pg_store chipmunk_rep)" || break
  REP_PORTS+=("$PORT")
  REP_PIDS+=("$PID")
done
if [ "${#REP_PIDS[@]}" -lt 2 ]; then
  echo "   skipped: needs [Store] backend = postgresql"
else
  mkdir -p "$W/nginx/logs" "$W/nginx/tmp"
  NGINX_PORT=$(free_port)
  nginx_conf() {  # upstream servers...
    local servers="" p
    for p in "$@"; do servers="$servers server 127.0.0.1:$p;"; done
    cat > "$W/nginx/nginx.conf" << CONF
$(nginx_conf_head "$W/nginx" 2)
  upstream api { $servers keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=1024;
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  }
  nginx_conf "${REP_PORTS[0]}"
  nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log"
  wait_port "$NGINX_PORT" "$(cat "$W/nginx/nginx.pid")" 10
  auths "$WRITE_USERS" "$W/rep-auths"
  for n in 1 2; do
    if [ "$n" = 2 ]; then
      nginx_conf "${REP_PORTS[@]}"
      kill -HUP "$(cat "$W/nginx/nginx.pid")"
      sleep 1
    fi
    read -ra procs <<< "${REP_PIDS[*]} $(pgrep -P "$(cat "$W/nginx/nginx.pid")" | tr '\n' ' ')"
    c0=$(cpu_ticks "${procs[@]}")
    read -r rps _ p99 err bad requests saved <<< "$(wrk_set "http://127.0.0.1:$NGINX_PORT/set" 64 \
      "$DURATION" "$W/rep-auths" change)"
    c1=$(cpu_ticks "${procs[@]}")
    us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v r="$requests" 'BEGIN {printf "%.1f", (r > 0 ? c * 1e6 / hz / r : 0)}')
    result replicas "cpu-us-per-set-$n(lower)" new "$us"
    echo "   $n replica(s): $rps req/s, p99 $p99 ms, $saved saved of $requests, $bad non-2xx," \
      "$us us CPU per request (replicas + nginx)"
  done
  echo "   exactly-once hooks/pushes after kill -9 mid-storm: tests/ (outbox), not measured here"
fi
for pid in "${REP_PIDS[@]}"; do stop_pid "$pid" 30 > /dev/null; done
