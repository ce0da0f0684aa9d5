#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cross-site request forgery in a real headless Chromium. The address book is opened with
# Basic credentials (Chromium caches them for the origin), then pages served from another
# origin (http://127.0.0.2:8081, a static server) try to change records through that cache:
# a top-level navigation to /nic/update?...&myip=6.6.6.6 and /v3/update, and a form POST to
# /set?note=. Records must not move and the note must stay; the server must have seen (and
# refused with 403) each attempt; a URL the user opens himself (Sec-Fetch-Site: none) and
# the page's own same-origin requests still work.
# Usage: csrf_chromium.sh CHIPMUNK_API_BIN
set -euo pipefail

api_bin=${1:?usage: csrf_chromium.sh CHIPMUNK_API_BIN}

. "$(dirname "$0")/lib.sh"
in_loopback_netns "$@"
need_chromium
python=$(command -v python3 || true)
[ -n "$python" ] || { echo "SKIP: python3 (the other origin's static server) is not installed"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-csrf-XXXXXX")
api_pid=""
static_pid=""
browser_pid=""
cleanup() {
  local rc=$?
  stop_group "$browser_pid"
  stop_pid "$static_pid"
  stop_pid "$api_pid"
  finish $rc "$work" tail -40
}
trap cleanup EXIT

count_log() { grep -c -- "$1" "$work/api.log" 2>/dev/null || true; }
# wait_for_log PATTERN SECONDS [COUNT]: until the log has more than COUNT (default 0) lines
# matching PATTERN. The server's log is flushed once a second.
wait_for_log() {
  for _ in $(seq $(($2 * 10))); do
    [ "$(count_log "$1")" -gt "${3:-0}" ] && return 0
    sleep 0.1
  done
  return 1
}

mkdir "$work/evil"
write_api_ini "$work" info 2
api_accounts "$work" 127.0.0.1:8080 "alice=secret" "home.example.org=alice"
run_api "$api_bin" "$work" || fail "chipmunk-api did not start"
base=http://127.0.0.1:8080
[ "$(curl -sS -A csrf-test -u alice:secret "$base/nic/update?hostname=home.example.org&myip=198.51.100.23")" = \
  "good 198.51.100.23" ] || fail "nic/update with curl"
curl -sS --fail -u alice:secret "$base/set?note=laptop" >/dev/null || fail "/set with curl"

# The other origin: 127.0.0.2 is another site than 127.0.0.1 (and, being loopback, a
# potentially trustworthy URL, so Chromium sends Fetch Metadata to the server).
cat > "$work/evil/nic.html" <<'HTML'
<!DOCTYPE html><title>cute cats</title>
<script>location.href = "http://127.0.0.1:8080/nic/update?hostname=home.example.org&myip=6.6.6.6";</script>
HTML
cat > "$work/evil/v3.html" <<'HTML'
<!DOCTYPE html><title>cute dogs</title>
<script>location.href = "http://127.0.0.1:8080/v3/update?hostname=home.example.org&myip=6.6.6.7";</script>
HTML
cat > "$work/evil/set.html" <<'HTML'
<!DOCTYPE html><title>cute birds</title>
<form method="POST" action="http://127.0.0.1:8080/set?note=">
<input type="hidden" name="note" value="forged"></form>
<script>document.forms[0].submit();</script>
HTML
"$python" -m http.server 8081 --bind 127.0.0.2 --directory "$work/evil" >"$work/static.log" 2>&1 &
static_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.2:8081/nic.html && break
  kill -0 "$static_pid" 2>/dev/null || fail "the static server exited"
  sleep 0.1
done

# One browser for the whole test: Basic credentials are cached in memory, per browser
# session. The first tab opens the address book with credentials in its URL; the attacks
# are further tabs opened through the DevTools HTTP endpoint (/json/new).
setsid "$browser" --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --remote-debugging-address=127.0.0.1 --remote-debugging-port=9222 \
  --user-data-dir="$work/profile" "http://alice:secret@127.0.0.1:8080/" \
  >"$work/browser.log" 2>&1 &
browser_pid=$!
wait_for_log 'path="/" status=200 client=127.0.0.1 user=alice' 30 ||
  fail "the browser did not open the address book with credentials"
for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.1:9222/json/version && break
  sleep 0.1
done
open_tab() {
  # The URL is the endpoint's whole query: its own "&" must be escaped.
  curl -sS --fail -X PUT "http://127.0.0.1:9222/json/new?${1//&/%26}" >/dev/null ||
    fail "cannot open tab $1"
}

# 1. A top-level navigation from the other site to /nic/update, then to /v3/update.
seen=$(count_log 'path="/nic/update" status=')
open_tab "http://127.0.0.2:8081/nic.html"
wait_for_log 'path="/nic/update" status=' 30 "$seen" || fail "the browser never requested /nic/update"
open_tab "http://127.0.0.2:8081/v3.html"
wait_for_log 'path="/v3/update" status=' 30 || fail "the browser never requested /v3/update"
# 2. A form POST from the other site to /set.
open_tab "http://127.0.0.2:8081/set.html"
wait_for_log 'method=POST path="/set" status=' 30 || fail "the browser never posted to /set"

home=$(curl -sS -u alice:secret "$base/hosts/home.example.org")
alice=$(curl -sS -u alice:secret "$base/hosts/alice")
echo "home.example.org: $home"
echo "alice: $alice"
grep -E 'path="/(nic/update|v3/update|set)"' "$work/api.log" | tail -5 || true
case "$home" in *'"ipv4":"198.51.100.23"'*) ;; *) fail "a cross-site navigation moved home.example.org" ;; esac
case "$alice" in *'"note":"laptop"'*) ;; *) fail "a cross-site form replaced alice's note" ;; esac
for path in /nic/update /v3/update /set; do
  grep -q "path=\"$path\" status=403 client=127.0.0.1 user=-" "$work/api.log" ||
    fail "$path from the other site was not refused with 403 before authentication"
done
echo "ok: cross-site navigation and form refused"

# 3. What the user opens himself (address bar, bookmark: Sec-Fetch-Site: none) still works
#    with the cached credentials.
seen=$(count_log 'path="/nic/update" status=200 dyndns=[a-z]* client=127.0.0.1 user=alice')
open_tab "http://127.0.0.1:8080/nic/update?hostname=home.example.org&myip=198.51.100.24"
wait_for_log 'path="/nic/update" status=200 dyndns=[a-z]* client=127.0.0.1 user=alice' 30 "$seen" ||
  fail "a URL the user opened himself was refused"
home=$(curl -sS -u alice:secret "$base/hosts/home.example.org")
case "$home" in *'"ipv4":"198.51.100.24"'*) ;; *) fail "the user's own update did not apply: $home" ;; esac
echo "ok: the user's own navigation updates"
echo "PASS: cross-site requests refused in chromium"
