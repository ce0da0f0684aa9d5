#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/nft/chipmunk-nft-allow.sh as chipmunk-api's on_change/on_expire hook, against the
# real nft in a network namespace of its own (its nftables ruleset is private to the test).
# Usage: nft_hook.sh CHIPMUNK_API_BIN SOURCE_DIR
set -euo pipefail

api_bin=${1:?usage: nft_hook.sh CHIPMUNK_API_BIN SOURCE_DIR}
src=${2:?usage: nft_hook.sh CHIPMUNK_API_BIN SOURCE_DIR}
hook="$src/scripts/nft/chipmunk-nft-allow.sh"

. "$(dirname "$0")/lib.sh"
# Its own network namespace: the nft table and sets it changes are private to the test.
in_loopback_netns "$@"
export PATH="$PATH:/usr/sbin:/sbin"
command -v nft >/dev/null || { echo "SKIP: nft is not installed (scripts/install-deps.sh --tests)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }

api_work nft
on_failure() { echo "===== nft ruleset"; nft list ruleset; }

# The table and sets as docs/ADDRESS_BOOK.md shows them.
nft -f - <<'NFT'
table inet chipmunk {
  set allow4 { type ipv4_addr; }
  set allow6 { type ipv6_addr; }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 ip saddr @allow4 accept
    tcp dport 22 ip6 saddr @allow6 accept
  }
}
NFT

elements() {  # elements SET: the addresses in the set, one a line, sorted
  nft list set inet chipmunk "$1" | tr -d '\n' | sed -n 's/.*elements = { \([^}]*\) }.*/\1/p' |
    tr ',' '\n' | tr -d ' \t' | grep -v '^$' | sort || true
}
expect_set() {  # expect_set SET "ADDR ADDR ..." (sorted, space-separated; "" = empty)
  local want got=""
  want=$( { printf '%s\n' $2 | grep -v '^$' || true; } | sort | tr '\n' ' ')
  for _ in $(seq 100); do
    got=$(elements "$1" | tr '\n' ' ')
    [ "$got" = "$want" ] && { echo "ok: $1 = { $2 }"; return 0; }
    sleep 0.1
  done
  fail "set $1 is '{ $got}', expected '{ $want}'"
}

# --- the script on its own ----------------------------------------------------------------
rc=0; CHIPMUNK_EVENT=bogus "$hook" 2>"$work/direct.log" || rc=$?
[ $rc -eq 2 ] || fail "an unknown event must exit 2, got $rc"
rc=0; CHIPMUNK_EVENT=change CHIPMUNK_HOST=x CHIPMUNK_NEW_IPV4=192.0.2.99 \
  "$hook" --table inet missing 2>"$work/direct.log" || rc=$?
[ $rc -eq 1 ] || fail "a missing table must exit 1, got $rc"
grep -q "could not add 192.0.2.99" "$work/direct.log" || fail "no message for a missing table"
rc=0; CHIPMUNK_EVENT=change CHIPMUNK_HOST=x CHIPMUNK_NEW_IPV4='1.2.3.4 }; flush ruleset; {' \
  "$hook" 2>"$work/direct.log" || rc=$?
[ $rc -eq 1 ] || fail "a malformed address must exit 1, got $rc"
nft list table inet chipmunk >/dev/null || fail "the table is gone"
# --hosts: other records are left alone.
CHIPMUNK_EVENT=change CHIPMUNK_HOST=other.example.org CHIPMUNK_NEW_IPV4=192.0.2.98 \
  "$hook" --hosts nas.example.org,home.example.org
expect_set allow4 ""

# --- as chipmunk-api's hook ---------------------------------------------------------------
write_api_ini "$work" info 2
api_accounts "$work" 127.0.0.1:8080 "alice=secret" "nas.example.org=alice home.example.org=alice"
cat >> "$work/api.ini" <<INI
[TTL]
nas.example.org = 15s
[Hooks]
on_change = $hook --table inet chipmunk --set4 allow4 --set6 allow6
on_expire = $hook --table inet chipmunk
timeout = 10s
INI
run_api "$api_bin" "$work" || fail "chipmunk-api did not start"
nic() {
  local out
  out=$(curl -sS -A nft-test -u alice:secret "http://127.0.0.1:8080/nic/update?$1")
  [ "$out" = "$2" ] || fail "/nic/update?$1 answered '$out', expected '$2'"
}

nic "hostname=nas.example.org&myip=192.0.2.1,2001:db8::1" "good 192.0.2.1,2001:db8::1"
expect_set allow4 "192.0.2.1"
expect_set allow6 "2001:db8::1"
nic "hostname=home.example.org&myip=198.51.100.7" "good 198.51.100.7"
expect_set allow4 "192.0.2.1 198.51.100.7"
# A move: the new address is added, the old one deleted.
nic "hostname=nas.example.org&myip=192.0.2.2,2001:db8::2" "good 192.0.2.2,2001:db8::2"
expect_set allow4 "192.0.2.2 198.51.100.7"
expect_set allow6 "2001:db8::2"
# nas has a TTL of 15 s (room for a loaded CI machine): once it expires, its addresses
# leave the sets; home stays.
grep -q "record expired name=nas.example.org" "$work/api.log" && fail "expired too early"
for _ in $(seq 450); do
  grep -q "hook done event=expire host=nas.example.org" "$work/api.log" && break
  sleep 0.1
done
grep -q "hook done event=expire host=nas.example.org" "$work/api.log" || fail "no expire hook"
expect_set allow4 "198.51.100.7"
expect_set allow6 ""
if grep -q "hook failed" "$work/api.log"; then fail "a hook failed"; fi
echo "PASS: nft hook"
