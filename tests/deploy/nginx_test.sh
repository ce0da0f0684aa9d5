#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real nginx in front of chipmunk-api with the shipped site file vhost/nginx/chipmunk.conf.
# Usage: nginx_test.sh CHIPMUNK_API_BINARY SOURCE_DIR
set -euo pipefail
api_bin="$1"
src="$2"
. "$src/tests/deploy/lib.sh"
need_server nginx_bin nginx

mkdir -p "$tmp/nginx"
proxy_fixture "$tmp"

# The shipped site with its placeholders replaced; nothing else is changed.
site_copy() {
  sed -e "s|/etc/letsencrypt/live/chipmunk.example.net/fullchain.pem|$tmp/cert.pem|" \
    -e "s|/etc/letsencrypt/live/chipmunk.example.net/privkey.pem|$tmp/key.pem|" \
    -e "s|chipmunk.example.net|localhost|g" \
    -e "s|127.0.0.1:8080|127.0.0.1:$api_port|" \
    -e "s|/var/www/html|$tmp/www|" \
    -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$1;|" \
    -e "s|^\( *\)listen 443 |\1listen 127.0.0.1:$2 |" \
    -e "s|https://\$host:443\$request_uri|https://\$host:$2\$request_uri|" \
    -e '/listen \[::\]:/d' \
    "$src/vhost/nginx/chipmunk.conf" >"$tmp/chipmunk.conf"
  # Each placeholder must have been there to be replaced.
  ! grep -nE '^[^#]*(example\.net|/etc/letsencrypt|:8080|/var/www|listen (80|443)[; ]|:443\$request_uri)' "$tmp/chipmunk.conf" ||
    fail "a placeholder was not replaced (see above)"
}

start_nginx() {
  cat >"$tmp/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log info;
events { worker_connections 128; }
http {
    access_log $tmp/nginx-access.log;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    default_type application/octet-stream;
    include $tmp/chipmunk.conf;
}
CONF
  "$nginx_bin" -t -q -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" ||
    fail "nginx -t rejected the site: $(tail -n 5 "$tmp/nginx-error.log")"
  "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" &
  nginx_pid=$!
  started_pids+=("$nginx_pid")
  wait_for_port "$2" "$nginx_pid" && wait_for_port "$1" "$nginx_pid"
}

# Ports are picked free but may be taken meanwhile by a parallel test: retry a few times.
started=""
for attempt in 1 2 3 4 5; do
  http_port="$(free_port)"
  https_port="$(free_port)"
  [ "$http_port" != "$https_port" ] || continue
  site_copy "$http_port" "$https_port"
  if start_nginx "$http_port" "$https_port"; then
    started=1
    break
  fi
  grep -q "Address already in use" "$tmp/nginx-error.log" ||
    fail "nginx did not start: $(tail -n 5 "$tmp/nginx-error.log")"
  echo "# a port was taken meanwhile ($http_port/$https_port, attempt $attempt), retrying"
  : >"$tmp/nginx-error.log"
done
[ -n "$started" ] || fail "nginx did not start: $(tail -n 5 "$tmp/nginx-error.log")"
pass "nginx runs the shipped site on 127.0.0.1:$http_port (HTTP) and :$https_port (HTTPS)"

# The redirect keeps the HTTPS port, here a non-standard one.
check_proxy nginx "$http_port" "$https_port" "localhost:$https_port"
echo "nginx: $checks checks passed"
