#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real, unchanged dyndns2 clients against chipmunk-api: Debian's ddclient (3.10) and
# inadyn (2.10) each update records that /hosts then shows.
# Usage: real_clients.sh CHIPMUNK_API_BIN [ddclient|inadyn|all]
# Both clients fall back to public services on their own when they dislike something, so
# the server and the clients run in a network namespace that has only loopback; the fixed
# port below is private to that namespace.
set -euo pipefail

api_bin=${1:?usage: real_clients.sh CHIPMUNK_API_BIN [ddclient|inadyn|all]}
which_clients=${2:-all}

if [ -z "${CHIPMUNK_IN_NETNS:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then ns=(unshare -n); else ns=(unshare -rn); fi
  exec "${ns[@]}" env CHIPMUNK_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

for tool in ddclient inadyn curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh --tests)"; exit 77; }
done

. "$(dirname "$0")/lib.sh"

api_work clients

port=8080
write_api_ini "$work" info 2
cat >> "$work/api.ini" <<INI
; inadyn's check-IP request (GET /get/ip, HTTP/1.0) carries no credentials.
public_ip_endpoints = yes
INI
api_accounts "$work" "127.0.0.1:$port" "ddc=ddc-secret ina=ina-secret admin=admin-secret" \
  "home.example.org=ddc office.example.org=ddc cabin.example.org=ina"
cat >> "$work/api.ini" <<INI
[Access]
read_all = admin
INI
run_api "$api_bin" "$work" || fail "chipmunk-api did not start"

hosts() { curl -sS --fail -u admin:admin-secret "http://127.0.0.1:$port/hosts/$1"; }
expect_ip() {  # expect_ip HOST FIELD VALUE
  local json
  json=$(hosts "$1") || fail "/hosts/$1 failed"
  echo "$json" | grep -q "\"$2\":\"$3\"" || fail "/hosts/$1 has no $2=$3: $json"
  echo "ok: /hosts/$1 shows $2 $3"
}

run_ddclient() {
  # ddclient 3.10: use=ip names the address; -force updates even if the cache agrees.
  cat > "$work/ddclient.conf" <<CONF
daemon=0
syslog=no
ssl=no
protocol=dyndns2
use=ip, ip=$1
server=127.0.0.1:$port
login=ddc
password=${3:-ddc-secret}
home.example.org,office.example.org
CONF
  chmod 600 "$work/ddclient.conf"
  local rc=0
  ddclient -daemon=0 -force -verbose -file "$work/ddclient.conf" -cache "$work/ddclient.cache" \
    >"$work/ddclient-$2.log" 2>&1 || rc=$?
  [ $rc -eq "${4:-0}" ] || fail "ddclient exited $rc, expected ${4:-0}"
}

if [ "$which_clients" = all ] || [ "$which_clients" = ddclient ]; then
  run_ddclient 192.0.2.44 first
  grep -q "SUCCESS:.*home.example.org.*good" "$work/ddclient-first.log" || fail "ddclient: no good for home"
  grep -q "SUCCESS:.*office.example.org.*good" "$work/ddclient-first.log" || fail "ddclient: no good for office"
  grep -q "FAILED" "$work/ddclient-first.log" && fail "ddclient reported a failure"
  expect_ip home.example.org ipv4 192.0.2.44
  expect_ip office.example.org ipv4 192.0.2.44
  # Again with the same address: the server answers nochg and ddclient is content.
  run_ddclient 192.0.2.44 second
  # (ddclient reports nochg as a WARNING that repeated updates are considered abusive.)
  grep -q "updating home.example.org: nochg" "$work/ddclient-second.log" || fail "ddclient: no nochg"
  grep -q "FAILED" "$work/ddclient-second.log" && fail "ddclient reported a failure on nochg"
  # A new address.
  run_ddclient 198.51.100.9 third
  grep -q "SUCCESS:.*home.example.org.*good" "$work/ddclient-third.log" || fail "ddclient: no good after a change"
  expect_ip home.example.org ipv4 198.51.100.9
  # A wrong password: 401 badauth, which ddclient reports as a failure; nothing changes.
  run_ddclient 203.0.113.99 badauth wrong-password 1
  grep -q "FAILED:.*home.example.org.*authorization failed" "$work/ddclient-badauth.log" ||
    fail "ddclient: no failure on badauth"
  grep -q "SUCCESS" "$work/ddclient-badauth.log" && fail "ddclient: success with a wrong password"
  expect_ip home.example.org ipv4 198.51.100.9
  echo "ok: ddclient"
fi

if [ "$which_clients" = all ] || [ "$which_clients" = inadyn ]; then
  mkdir -p "$work/inadyn-cache"
  cat > "$work/inadyn.conf" <<CONF
period = 300
verify-address = false
custom chipmunk {
    username       = ina
    password       = ina-secret
    ssl            = false
    checkip-server = 127.0.0.1:$port
    checkip-path   = /get/ip
    checkip-ssl    = false
    ddns-server    = 127.0.0.1:$port
    ddns-path      = "/nic/update?hostname=%h&myip=%i"
    hostname       = cabin.example.org
}
CONF
  rc=0
  timeout 60 inadyn --foreground --once --force -f "$work/inadyn.conf" \
    --cache-dir="$work/inadyn-cache" --no-pidfile -l debug >"$work/inadyn.log" 2>&1 || rc=$?
  [ $rc -eq 0 ] || fail "inadyn exited $rc"
  grep -q "Successful alias table update" "$work/inadyn.log" || fail "inadyn: no successful update"
  # (inadyn also logs that it cannot resolve the host name: the namespace has no DNS.)
  if grep -q "DDNS server response: HTTP/1.1 [^2]" "$work/inadyn.log"; then fail "inadyn got an error status"; fi
  # inadyn's check-IP asked /get/ip, which saw 127.0.0.1: that is what it sent as myip.
  expect_ip cabin.example.org ipv4 127.0.0.1
  grep -q "Your IP:  127.0.0.1" "$work/inadyn.log" || fail "inadyn did not use /get/ip"
  echo "ok: inadyn"
fi
echo "PASS: real clients"
