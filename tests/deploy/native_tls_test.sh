#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chipmunk-api's own TLS ([Server] tls_certificate / tls_key), checked with curl --cacert,
# and the shipped chipmunk-updater binary as its https client (libcurl loaded with dlopen()
# into an updater whose C++ runtime is linked statically).
# Usage: native_tls_test.sh CHIPMUNK_API_BINARY SOURCE_DIR [CHIPMUNK_UPDATER_BINARY]
set -euo pipefail
api_bin="$1"
src="$2"
updater_bin="${3:-}"
. "$src/tests/deploy/lib.sh"

make_cert "$tmp"
start_api "$api_bin" "$(api_config "$tmp" "tls_certificate = $tmp/cert.pem" "tls_key = $tmp/key.pem")" \
  "$tmp/api.log"
grep -q 'listening address=.* tls=yes' "$tmp/api.log" || fail "the start-up line does not say tls=yes"
pass "chipmunk-api serves TLS on 127.0.0.1:$api_port"

base="https://localhost:$api_port"
c=(curl -sS --max-time 10 --cacert "$tmp/cert.pem")
expect_eq "$("${c[@]}" -u alice:alice-secret "$base/get/ip")" "Your IP:  127.0.0.1" "TLS: /get/ip"
expect_eq "$("${c[@]}" -u alice:alice-secret "https://127.0.0.1:$api_port/get/ip.json")" \
  '{"Client_IP": "127.0.0.1"}' "TLS: /get/ip.json by IP address (certificate SAN 127.0.0.1)"
expect_eq "$("${c[@]}" -u alice:alice-secret "$base/set")" \
  '{"Client_IP": "127.0.0.1", "status": "saved"}' "TLS: /set"
expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' "$base/get/ip")" 401 "TLS: no credentials get 401"
expect_eq "$("${c[@]}" -o /dev/null -w '%{http_code}' -u alice:alice-secret "$base/get/ip")" 200 \
  "TLS: the right password gets 200"
# No client may be told its address comes from a header: no trusted proxy is configured.
expect_eq "$("${c[@]}" -u alice:alice-secret -H 'X-Forwarded-For: 6.6.6.6' "$base/get/ip")" \
  "Your IP:  127.0.0.1" "TLS: X-Forwarded-For from an untrusted peer is ignored"

# Several requests on one TLS connection (keep-alive): curl reports how many connections
# it opened for the URLs it was given.
expect_eq "$("${c[@]}" -u alice:alice-secret -o /dev/null -o /dev/null -o /dev/null \
  -w '%{num_connects}\n' "$base/get/ip" "$base/get/ip" "$base/get/ip" | tr '\n' ' ')" "1 0 0 " \
  "TLS: one connection serves several requests"

# A client that starts a handshake and stalls does not hold up the others (Pistache's
# listener made every handshake, blocking, on its one accept thread: upstream #1104).
exec 7<>"/dev/tcp/127.0.0.1/$api_port"
printf '\x16\x03\x01' >&7 # the start of a ClientHello record, then nothing
expect_eq "$("${c[@]}" --max-time 3 -u alice:alice-secret "$base/get/ip" || true)" \
  "Your IP:  127.0.0.1" "TLS: served while another client stalls its handshake"
exec 7>&-

if curl -sS --max-time 10 -o /dev/null "$base/get/ip" 2>/dev/null; then
  fail "the self-signed certificate verified without --cacert"
fi
pass "TLS: the certificate does not verify without the test CA"
code="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/get/ip" 2>/dev/null || true)"
[ "$code" != 200 ] || fail "plain HTTP got 200 from the TLS port"
pass "TLS: plain HTTP on the TLS port gets no answer ($code)"
# The TLS port still serves after the plain-HTTP attempt.
expect_eq "$("${c[@]}" -u alice:alice-secret "$base/get/ip")" "Your IP:  127.0.0.1" \
  "TLS: still serving after a plain-HTTP client"

if [ -n "$updater_bin" ]; then
  # updater_config CA_LINE: a one-shot that reports this machine's address with /set over
  # https and updates no DNS.
  updater_config() {
    cat >"$tmp/updater.ini" <<INI
[Global]
update_dns = no
allow_private = yes
state_dir = $tmp/updater-state
$1
[ChipmunkAPIServer]
username = alice
password = alice-secret
method = set
endpoint = $base
INI
  }
  updater_config "ca_file = $tmp/cert.pem"
  out="$("$updater_bin" --config "$tmp/updater.ini" --once 2>&1)" ||
    fail "chipmunk-updater over https with the test CA failed: $out"
  # The address can only have come from the server's /set answer.
  expect_eq "$(grep -x 'address 127.0.0.1' <<<"$out")" "address 127.0.0.1" \
    "TLS: chipmunk-updater (method = set, ca_file) learnt its address over https"
  updater_config ""
  if out="$("$updater_bin" --config "$tmp/updater.ini" --once 2>&1)"; then
    fail "chipmunk-updater accepted the self-signed certificate without ca_file: $out"
  fi
  ! grep -q '^address ' <<<"$out" || fail "an unverified updater still learnt an address: $out"
  grep -qi 'certificate\|SSL\|TLS' <<<"$out" ||
    fail "the updater's TLS failure does not say why: $out"
  pass "TLS: chipmunk-updater refuses the certificate without ca_file (verify_tls defaults on)"
fi
echo "native TLS: $checks checks passed"
