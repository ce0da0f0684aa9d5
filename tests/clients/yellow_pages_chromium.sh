#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The address book page in a real headless Chromium: it loads with Basic credentials,
# shows the records this test creates (stale and expired ones marked), its own refresh of
# /hosts succeeds, and screenshots (desktop and phone width) are saved as test artefacts.
# Usage: yellow_pages_chromium.sh CHIPMUNK_API_BIN ARTIFACT_DIR
set -euo pipefail

api_bin=${1:?usage: yellow_pages_chromium.sh CHIPMUNK_API_BIN ARTIFACT_DIR}
artifacts=${2:?usage: yellow_pages_chromium.sh CHIPMUNK_API_BIN ARTIFACT_DIR}

. "$(dirname "$0")/lib.sh"
in_loopback_netns "$@"
need_chromium

mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-chromium-XXXXXX")
api_pid=""
browser_pid=""
stop_browser() {
  stop_group "$browser_pid"
  browser_pid=""
}
cleanup() {
  local rc=$?
  stop_browser
  stop_pid "$api_pid"
  finish $rc "$work" tail -50
}
trap cleanup EXIT

# run_browser TIMEOUT ARGS...: Chromium headless, output in $work/browser.out.
run_browser() {
  local limit=$1; shift
  setsid "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" "$@" >"$work/browser.out" 2>>"$work/chromium.log" &
  browser_pid=$!
  local rc=0
  for _ in $(seq $((limit * 10))); do
    kill -0 "$browser_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$browser_pid" 2>/dev/null; then
    stop_browser
    fail "chromium did not finish within ${limit}s"
  fi
  wait "$browser_pid" || rc=$?
  stop_browser
  [ $rc -eq 0 ] || fail "chromium exited $rc"
}

# A stale record and an expired one, written as a previous run would have left them.
mkdir "$work/data"
now=$(date +%s)
old=$((now - 7200))
echo 203.0.113.50 > "$work/data/old.example.org.cm"
cat > "$work/data/old.example.org.json" <<JSON
{"name":"old.example.org","ip":"203.0.113.50","ipv4":"203.0.113.50","ipv6":null,"first_seen":$old,"changed_at":$old,"last_seen":$old,"ttl":0,"expired":false,"expired_at":0,"metadata":{"note":"attic <b>box</b>"}}
JSON
cat > "$work/data/gone.example.org.json" <<JSON
{"name":"gone.example.org","ip":null,"ipv4":"203.0.113.60","ipv6":null,"first_seen":$old,"changed_at":$old,"last_seen":$old,"ttl":600,"expired":true,"expired_at":$((old + 600)),"metadata":{}}
JSON
write_api_ini "$work" info 2
api_accounts "$work" 127.0.0.1:8080 "alice=secret bob=hunter2 admin=admin-secret" \
  "home.example.org=alice old.example.org=bob gone.example.org=bob"
cat >> "$work/api.ini" <<INI
[Access]
read_all = admin
[Records]
stale_after = 15m
INI
run_api "$api_bin" "$work" || fail "chipmunk-api did not start"
base=http://127.0.0.1:8080
[ "$(curl -sS -A page-test -u alice:secret "$base/nic/update?hostname=home.example.org&myip=198.51.100.23,2001:db8::23")" = \
  "good 198.51.100.23,2001:db8::23" ] || fail "nic/update"
curl -sS --fail -u alice:secret \
  "$base/set?note=laptop&lan_ip=192.168.1.20&wg_listen_port=51820&wg_public_key=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg%3D" >/dev/null || fail "/set alice"
curl -sS --fail -u bob:hunter2 "$base/set" >/dev/null || fail "/set bob"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/")" = 401 ] || fail "/ without credentials"

# 1. The DOM after the page's scripts ran. The virtual time budget lets the 30 s refresh
#    timer fire, so the page's own fetch of /hosts happens too.
run_browser 90 --virtual-time-budget=40000 --dump-dom "http://admin:admin-secret@127.0.0.1:8080/"
cp "$work/browser.out" "$artifacts/yellow-pages.dom.html"
dom="$work/browser.out"
for name in alice bob home.example.org old.example.org gone.example.org; do
  grep -q "data-name=\"$name\"" "$dom" || fail "the page does not show $name"
done
grep -q '198.51.100.23' "$dom" || fail "no IPv4 of home.example.org"
grep -q '2001:db8::23' "$dom" || fail "no IPv6 of home.example.org"
grep -q 'lan_ip: 192.168.1.20' "$dom" || fail "no metadata"
# The WireGuard column, as the page's script renders it: the key shortened, port, LAN.
grep -q '<div>xTIBA5rb…</div><div>port 51820</div><div>LAN 192.168.1.20</div>' "$dom" ||
  fail "no WireGuard column"
grep -q 'attic &lt;b&gt;box&lt;/b&gt;' "$dom" || fail "metadata not escaped"
grep -q '<tr data-name="old.example.org" class="stale">' "$dom" || fail "old.example.org not marked stale"
grep -q '<tr data-name="gone.example.org" class="[^"]*expired' "$dom" || fail "gone.example.org not marked expired"
grep -q 'class="copy"' "$dom" || fail "no copy buttons (script did not run)"
grep -q 'id="status">5 hosts · updated' "$dom" || fail "status line: $(grep -o 'id="status">[^<]*' "$dom")"
grep -q 'id="status">could not load' "$dom" && fail "the page's refresh failed"
# (The server's log is flushed once a second.)
for _ in $(seq 50); do
  grep -q 'path="/hosts" status=200 client=127.0.0.1 user=admin' "$work/api.log" && break
  sleep 0.1
done
grep -q 'path="/hosts" status=200 client=127.0.0.1 user=admin' "$work/api.log" ||
  fail "the page did not fetch /hosts"
echo "ok: DOM"

# 2. Screenshots: desktop and phone widths.
for shot in "yellow-pages.png 1280,720" "yellow-pages-phone.png 390,1100"; do
  set -- $shot
  rm -f "$work/shot.png"
  run_browser 90 --virtual-time-budget=3000 --hide-scrollbars --window-size="$2" \
    --screenshot="$work/shot.png" "http://admin:admin-secret@127.0.0.1:8080/"
  [ -s "$work/shot.png" ] || fail "no screenshot $1"
  head -c 8 "$work/shot.png" | od -An -c | grep -q 'P   N   G' || fail "$1 is not a PNG"
  cp "$work/shot.png" "$artifacts/$1"
  echo "ok: screenshot $artifacts/$1"
done
echo "PASS: yellow pages in chromium"
