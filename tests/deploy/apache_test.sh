#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real Apache httpd (mod_proxy, mod_ssl) in front of chipmunk-api with the shipped site
# vhost/apache/chipmunk.conf, from a self-contained main config (no a2enmod, nothing read
# from /etc/apache2); then the compact vhost/chipmunk.vhost.sample the same way.
# Usage: apache_test.sh CHIPMUNK_API_BINARY SOURCE_DIR
set -euo pipefail
api_bin="$1"
src="$2"
. "$src/tests/deploy/lib.sh"
need_server apache_bin apache2
modules=/usr/lib/apache2/modules

mkdir -p "$tmp/apache-run"
proxy_fixture "$tmp"

# site_copy FILE HTTP HTTPS: the shipped file with its placeholders replaced.
site_copy() {
  sed -e "s|/etc/letsencrypt/live/chipmunk.example.net/fullchain.pem|$tmp/cert.pem|" \
    -e "s|/etc/letsencrypt/live/chipmunk.example.net/privkey.pem|$tmp/key.pem|" \
    -e "s|/etc/ssl/certs/chipmunk.pem|$tmp/cert.pem|" \
    -e "s|/etc/ssl/private/chipmunk.key|$tmp/key.pem|" \
    -e "s|chipmunk.example.net|localhost|g" \
    -e "s|127.0.0.1:8080|127.0.0.1:$api_port|g" \
    -e "s|/var/www/html|$tmp/www|g" \
    -e "s|<VirtualHost \*:80>|<VirtualHost 127.0.0.1:$2>|" \
    -e "s|<VirtualHost \*:443>|<VirtualHost 127.0.0.1:$3>|" \
    "$1" >"$tmp/chipmunk.conf"
  ! grep -nE '^[^#]*(example\.net|/etc/letsencrypt|/etc/ssl|:8080|/var/www|\*:80|\*:443)' \
    "$tmp/chipmunk.conf" || fail "a placeholder was not replaced (see above)"
}

# write_main HTTP HTTPS: a minimal httpd.conf that loads the modules the site needs and
# includes it.
write_main() {
  cat >"$tmp/httpd.conf" <<CONF
ServerRoot $tmp
PidFile $tmp/apache-run/httpd.pid
DefaultRuntimeDir $tmp/apache-run
Mutex file:$tmp/apache-run default
ErrorLog $tmp/apache-error.log
LogLevel warn
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule alias_module $modules/mod_alias.so
LoadModule headers_module $modules/mod_headers.so
LoadModule proxy_module $modules/mod_proxy.so
LoadModule proxy_http_module $modules/mod_proxy_http.so
LoadModule reqtimeout_module $modules/mod_reqtimeout.so
LoadModule socache_shmcb_module $modules/mod_socache_shmcb.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule http2_module $modules/mod_http2.so
User nobody
Group nogroup
ServerName localhost
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MinSpareThreads 1
MaxSpareThreads 8
MaxRequestWorkers 8
Listen 127.0.0.1:$1
Listen 127.0.0.1:$2
SSLSessionCache shmcb:$tmp/apache-run/ssl_scache(51200)
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog $tmp/apache-access.log common
Include $tmp/chipmunk.conf
CONF
}

start_apache() {
  write_main "$1" "$2"
  APACHE_LOG_DIR="$tmp" "$apache_bin" -t -f "$tmp/httpd.conf" 2>"$tmp/apache-t.log" ||
    fail "apache2 -t rejected the site: $(cat "$tmp/apache-t.log")"
  APACHE_LOG_DIR="$tmp" "$apache_bin" -f "$tmp/httpd.conf" -DFOREGROUND &
  apache_pid=$!
  started_pids+=("$apache_pid")
  wait_for_port "$2" "$apache_pid" && wait_for_port "$1" "$apache_pid"
}

# run_site FILE: starts Apache with FILE on free ports (retrying if a port was taken).
run_site() {
  local attempt
  for attempt in 1 2 3 4 5; do
    http_port="$(free_port)"
    https_port="$(free_port)"
    [ "$http_port" != "$https_port" ] || continue
    site_copy "$1" "$http_port" "$https_port"
    if start_apache "$http_port" "$https_port"; then
      pass "apache2 runs $(basename "$1") on 127.0.0.1:$http_port (HTTP) and :$https_port (HTTPS)"
      return 0
    fi
    stop_started_apache
    grep -q "Address already in use" "$tmp/apache-error.log" ||
      fail "apache2 did not start: $(tail -n 5 "$tmp/apache-error.log")"
    echo "# a port was taken meanwhile ($http_port/$https_port, attempt $attempt), retrying"
    : >"$tmp/apache-error.log"
  done
  fail "apache2 did not start: $(tail -n 5 "$tmp/apache-error.log")"
}

stop_started_apache() {
  kill -TERM "$apache_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$apache_pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$apache_pid" 2>/dev/null || true
}

run_site "$src/vhost/apache/chipmunk.conf"
check_proxy apache "$http_port" "$https_port"
stop_started_apache

# The compact sample: the same API behaviour through it (the store is reset so /set saves).
rm -f "$tmp/data/alice.cm" "$tmp/data/alice.json"
run_site "$src/vhost/chipmunk.vhost.sample"
c=(curl -sS --max-time 30 --interface 127.0.0.2 --cacert "$tmp/cert.pem" -u alice:alice-secret)
expect_eq "$("${c[@]}" "https://localhost:$https_port/get/ip")" "Your IP:  127.0.0.2" \
  "sample: /get/ip reports the client's address"
expect_eq "$("${c[@]}" -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Real-IP: 6.6.6.6' \
  "https://localhost:$https_port/get/ip.json")" '{"Client_IP": "127.0.0.2"}' \
  "sample: forged forwarding headers are ignored"
expect_eq "$(curl -sS --max-time 30 --cacert "$tmp/cert.pem" -o /dev/null -w '%{http_code}' \
  "https://localhost:$https_port/get/ip")" 401 "sample: no credentials get 401"
expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' \
  "http://localhost:$http_port/get/ip")" "301 https://localhost/get/ip" \
  "sample: plain HTTP is redirected to HTTPS"
echo "apache: $checks checks passed"
