# SPDX-License-Identifier: MIT
# Shared helpers for the deployment tests (sourced, not run). Every process started through
# these helpers is stopped on exit, also when a check fails; the temp dir is removed.
set -euo pipefail

tmp="$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-deploy.XXXXXX")"
# nginx and Apache workers drop root privileges: they must reach files in here.
chmod 755 "$tmp"
started_pids=()

stop_started() {
  # Only children this shell has not reaped yet (`jobs -p`): a pid that was already waited
  # for may belong to another test's process by now (pid_max is 32768 here, and the suite
  # starts tens of thousands of processes), and signalling it would kill that one.
  local pid live
  live=" $(jobs -p | tr '\n' ' ') "
  local mine=()
  for pid in "${started_pids[@]}"; do
    case "$live" in *" $pid "*) mine+=("$pid") ;; esac
  done
  for pid in "${mine[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${mine[@]}"; do
    # Bounded: a process that ignores TERM for 10 s is killed.
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  started_pids=()
}

cleanup() {
  local rc=$?
  stop_started
  # A test may define extra_cleanup (e.g. to remove a package it installed).
  if declare -F extra_cleanup >/dev/null; then
    extra_cleanup || true
  fi
  if [ "$rc" -ne 0 ] && [ -z "${KEEP_TMP:-}" ]; then
    # Show the servers' logs of a failed run before they are removed.
    for f in "$tmp"/*.log; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 40 lines)" >&2
      tail -n 40 "$f" >&2 || true
    done
  fi
  if [ -n "${KEEP_TMP:-}" ]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# need_server VAR NAME: sets VAR to the NAME server binary (on PATH, else /usr/sbin/NAME);
# fails when it is not installed.
need_server() {
  local path
  path="$(command -v "$2" || echo "/usr/sbin/$2")"
  [ -x "$path" ] || fail "$2 is not installed (scripts/install-deps.sh --tests)"
  printf -v "$1" '%s' "$path"
}

checks=0
pass() {
  checks=$((checks + 1))
  echo "ok $checks - $*"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"
  pass "$3"
}

# A TCP port nobody listens on, below the ephemeral range so that no outgoing connection
# takes it meanwhile. A server that still loses the race fails to start and says so.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
      echo "$p"
      return 0
    fi
  done
  fail "no free port found"
}

# make_cert DIR: a self-signed certificate for localhost and 127.0.0.1 (DIR/cert.pem,
# DIR/key.pem), valid for two days.
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null ||
    fail "openssl could not make a certificate"
  chmod 644 "$1/key.pem"
}

# wait_for_line FILE REGEX PID: waits (at most 15 s) until FILE has a line matching REGEX;
# fails early if PID exits.
wait_for_line() {
  for _ in $(seq 1 150); do
    if [ -f "$1" ] && grep -Eq "$2" "$1"; then
      return 0
    fi
    kill -0 "$3" 2>/dev/null || fail "process $3 exited before logging /$2/ in $1"
    sleep 0.1
  done
  fail "timed out waiting for /$2/ in $1"
}

# wait_for_port PORT PID: waits (at most 15 s) until something listens on 127.0.0.1:PORT.
wait_for_port() {
  for _ in $(seq 1 150); do
    if [ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_api BINARY CONFIG LOG: starts chipmunk-api (its config listens on port 0), sets
# api_pid and api_port. api_runner (an array) may name a command that execs it, e.g.
# setpriv to run it as another user.
api_runner=()
start_api() {
  "${api_runner[@]}" "$1" --config "$2" &
  api_pid=$!
  started_pids+=("$api_pid")
  wait_for_line "$3" 'listening address=' "$api_pid"
  api_port="$(sed -nE 's/.*listening address=[^ ]*:([0-9]+) .*/\1/p' "$3" | head -n 1)"
  [ -n "$api_port" ] || fail "no port in $3"
}

# api_config DIR EXTRA...: writes DIR/api.ini (user alice / alice-secret, store in
# DIR/data, log in DIR/api.log, listening on a free port) and prints its path.
api_config() {
  local dir="$1"
  shift
  mkdir -p "$dir/data"
  {
    echo "[Server]"
    echo "listen = 127.0.0.1:0"
    printf '%s\n' "$@"
    echo "[Paths]"
    echo "client_update_dir = $dir/data"
    echo "[Log]"
    echo "file = $dir/api.log"
    echo "[Users]"
    echo "alice = alice-secret"
  } >"$dir/api.ini"
  echo "$dir/api.ini"
}

# proxy_fixture DIR: what a reverse-proxy test needs: a throw-away certificate (make_cert),
# DIR/www holding an ACME challenge token, and chipmunk-api ($api_bin) trusting 127.0.0.1 as
# its proxy (start_api: api_pid, api_port).
proxy_fixture() {
  make_cert "$1"
  mkdir -p "$1/www/.well-known/acme-challenge"
  printf 'acme-token-1' >"$1/www/.well-known/acme-challenge/token-1"
  chmod -R a+rX "$1/www"
  start_api "$api_bin" "$(api_config "$1" "trusted_proxies = 127.0.0.1")" "$1/api.log"
}

# TCP sockets (any state but LISTEN) with PORT at either end: connections to chipmunk-api.
count_sockets() {
  ss -Htan "( sport = :$1 or dport = :$1 )" | grep -vc LISTEN || true
}

# check_proxy NAME HTTP_PORT HTTPS_PORT [REDIRECT_AUTHORITY]: the behaviour every TLS proxy in
# front of chipmunk-api must show. REDIRECT_AUTHORITY is the host[:port] the HTTP->HTTPS
# redirect must name (default: localhost, the default port). Needs $tmp/cert.pem, $tmp/www (the ACME webroot), api_port and a
# fresh store in $tmp/data. The client speaks from 127.0.0.2; the proxy reaches
# chipmunk-api from 127.0.0.1, the only trusted proxy, so a report of 127.0.0.1 would mean
# the forwarding header was lost, 6.6.6.6 that a forged one was believed.
check_proxy() {
  local name="$1" http="$2" https="$3" authority="${4:-localhost}"
  local base="https://localhost:$https"
  local c=(curl -sS --max-time 30 --interface 127.0.0.2 --cacert "$tmp/cert.pem")
  local auth=(-u alice:alice-secret)

  expect_eq "$("${c[@]}" "${auth[@]}" "$base/get/ip")" "Your IP:  127.0.0.2" \
    "$name: /get/ip reports the client's address"
  expect_eq "$("${c[@]}" "${auth[@]}" "$base/get/ip.json")" '{"Client_IP": "127.0.0.2"}' \
    "$name: /get/ip.json reports the client's address"
  expect_eq "$("${c[@]}" "${auth[@]}" "$base/set")" \
    '{"Client_IP": "127.0.0.2", "status": "saved"}' "$name: /set stores the client's address"
  expect_eq "$(cat "$tmp/data/alice.cm")" "127.0.0.2" "$name: alice.cm holds the client's address"
  expect_eq "$("${c[@]}" "${auth[@]}" -X POST "$base/set")" \
    '{"Client_IP": "127.0.0.2", "status": "unchanged"}' "$name: POST /set again is unchanged"

  expect_eq "$("${c[@]}" "${auth[@]}" -H 'X-Forwarded-For: 6.6.6.6' "$base/get/ip")" \
    "Your IP:  127.0.0.2" "$name: a forged X-Forwarded-For is ignored"
  expect_eq "$("${c[@]}" "${auth[@]}" -H 'X-Real-IP: 6.6.6.6' -H 'Forwarded: for=6.6.6.6' \
    -H 'X-Forwarded-For: 6.6.6.6, 127.0.0.1' "$base/get/ip.json")" \
    '{"Client_IP": "127.0.0.2"}' "$name: forged X-Real-IP, Forwarded and a trusted-looking chain are ignored"
  expect_eq "$("${c[@]}" "${auth[@]}" -H 'X-Forwarded-For: 6.6.6.6' "$base/set")" \
    '{"Client_IP": "127.0.0.2", "status": "unchanged"}' "$name: a forged X-Forwarded-For does not change /set"

  expect_eq "$("${c[@]}" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$base/get/ip")" \
    401 "$name: no credentials get 401"
  grep -qi '^WWW-Authenticate: Basic realm="chipmunk"' "$tmp/headers" ||
    fail "$name: 401 without WWW-Authenticate: $(cat "$tmp/headers")"
  pass "$name: the 401 carries WWW-Authenticate"
  expect_eq "$(cat "$tmp/body")" "Access denied" "$name: the 401 body"
  expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' -u alice:wrong "$base/get/ip")" 401 \
    "$name: a wrong password gets 401"
  expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/get/ip")" 200 \
    "$name: the right password gets 200"
  grep -qi '^Strict-Transport-Security: max-age=' "$tmp/headers" ||
    fail "$name: no HSTS header on HTTPS answers"
  pass "$name: HTTPS answers carry Strict-Transport-Security"

  # Plain HTTP: a permanent redirect to the same URL on https, which curl follows to our
  # HTTPS port (through --connect-to when the redirect names the default port), credentials
  # and all.
  expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' \
    "http://localhost:$http/get/ip?x=1")" "301 https://$authority/get/ip?x=1" \
    "$name: plain HTTP is redirected to HTTPS"
  expect_eq "$("${c[@]}" "${auth[@]}" -L --location-trusted \
    --connect-to "localhost:443:127.0.0.1:$https" "http://localhost:$http/get/ip")" \
    "Your IP:  127.0.0.2" "$name: following the redirect reaches chipmunk-api over TLS"
  expect_eq "$("${c[@]}" "http://localhost:$http/.well-known/acme-challenge/token-1")" \
    "acme-token-1" "$name: the ACME challenge is served over plain HTTP"
  expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' "${auth[@]}" \
    "http://localhost:$http/get/ip.json")" 301 "$name: credentials over plain HTTP never reach the API"

  # The API sees the proxy's TLS-side identity only through headers; the certificate must
  # verify (no -k anywhere): a wrong CA is refused.
  if curl -sS --max-time 10 -o /dev/null "$base/get/ip" 2>/dev/null; then
    fail "$name: TLS verified without our CA"
  fi
  pass "$name: the certificate does not verify without the test CA"

  # Upstream keep-alive: many client connections, few connections to chipmunk-api. Each
  # curl run below is a new client connection; without reuse every request would leave a
  # socket (ESTABLISHED or TIME-WAIT) at chipmunk-api's port.
  local n=40 before after i
  before="$(count_sockets "$api_port")"
  for i in $(seq 1 "$n"); do
    "${c[@]}" -o /dev/null "${auth[@]}" "$base/get/ip" || fail "$name: request $i failed"
  done
  after="$(count_sockets "$api_port")"
  echo "# $name: sockets at chipmunk-api's port: $before before, $after after $n requests"
  [ "$after" -le 6 ] || fail "$name: $after sockets at chipmunk-api's port after $n requests: upstream connections are not reused"
  pass "$name: $n requests used at most 6 upstream sockets"
  # The measure can see the difference: $n direct requests, one connection each, leave
  # about $n sockets behind.
  for i in $(seq 1 10); do
    curl -sS -o /dev/null "${auth[@]}" "http://127.0.0.1:$api_port/get/ip" || fail "direct request"
  done
  [ "$(count_sockets "$api_port")" -ge $((after + 10)) ] ||
    fail "$name: the socket count does not see new connections ($(count_sockets "$api_port"))"
  pass "$name: the socket count sees one socket per new connection"
  check_watch "$name" "$https"
}

# check_watch NAME HTTPS_PORT: the watch (GET /hosts?wait=N&since=V) passes through the
# proxy: held, then answered by a change with the new page (200, not a proxy timeout), and a
# watch longer than 30 s (the proxies' old read timeout) ends in chipmunk-api's 304.
check_watch() {
  local name="$1" base="https://localhost:$2"
  local c=(curl -sS --max-time 50 --cacert "$tmp/cert.pem" -u alice:alice-secret)
  local v watcher code
  v="$("${c[@]}" --interface 127.0.0.2 "$base/hosts" | sed -nE 's/.*"version":"([^"]+)".*/\1/p')"
  [ -n "$v" ] || fail "$name: /hosts has no version"
  "${c[@]}" --interface 127.0.0.2 -o "$tmp/watch.body" -w '%{http_code}' \
    "$base/hosts?wait=30&since=$v" >"$tmp/watch.code" &
  watcher=$!
  sleep 1
  expect_eq "$("${c[@]}" --interface 127.0.0.3 "$base/set")" \
    '{"Client_IP": "127.0.0.3", "status": "saved"}' "$name: a new address while a watch is held"
  wait "$watcher" || fail "$name: the watch failed: $(cat "$tmp/watch.code")"
  expect_eq "$(cat "$tmp/watch.code")" 200 "$name: the held watch is answered by the change"
  grep -q '"ipv4":"127.0.0.3"' "$tmp/watch.body" ||
    fail "$name: the watch's page lacks the new address: $(cat "$tmp/watch.body")"
  pass "$name: the watch's page has the new address"
  v="$(sed -nE 's/.*"version":"([^"]+)".*/\1/p' "$tmp/watch.body")"
  expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' "$base/hosts?wait=32&since=$v")" 304 \
    "$name: a 32 s watch without a change ends in 304, not a proxy timeout"
}
