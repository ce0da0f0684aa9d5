#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shipped logrotate configuration for chipmunk-api, run for real while requests stream
# in: no request line may be lost or doubled across rotations.
# Usage: logrotate_test.sh CHIPMUNK_API_BINARY SOURCE_DIR
set -euo pipefail
api_bin="$1"
src="$2"
. "$src/tests/deploy/lib.sh"
command -v logrotate >/dev/null || fail "logrotate is not installed (scripts/install-deps.sh --tests)"

mkdir -p "$tmp/log"
cfg="$(api_config "$tmp")"
sed -i "s|^file = .*|file = $tmp/log/chipmunk-api.log|" "$cfg"
start_api "$api_bin" "$cfg" "$tmp/log/chipmunk-api.log"
pass "chipmunk-api logs to $tmp/log/chipmunk-api.log"

# The shipped file with the log path replaced and postrotate signalling our process
# (instead of systemctl, which needs a running systemd).
rotate_conf() {
  sed -e "s|/var/log/chipmunk/chipmunk-api.log|$tmp/log/chipmunk-api.log|" \
    -e '/^ *postrotate/,/^ *endscript/{/postrotate/!{/endscript/!d}}' \
    -e "s|^\( *\)postrotate|&\n\1    kill -USR1 $1|" \
    "$src/scripts/logrotate/chipmunk-api" >"$tmp/logrotate.conf"
  grep -q "kill -USR1 $1" "$tmp/logrotate.conf" || fail "postrotate was not replaced"
  ! grep -q systemctl "$tmp/logrotate.conf" || fail "postrotate still calls systemctl"
}
rotate_conf "$api_pid"
logrotate -d -s "$tmp/state" "$tmp/logrotate.conf" >"$tmp/logrotate-dry.txt" 2>&1 ||
  fail "logrotate -d rejected the configuration: $(cat "$tmp/logrotate-dry.txt")"
pass "logrotate accepts the shipped chipmunk-api configuration"

# The updater's file: parsed and dry-run the same way.
sed -e "s|/var/log/chipmunk-updater/chipmunk-updater.log|$tmp/log/updater.log|" \
  "$src/scripts/logrotate/chipmunk-updater" >"$tmp/logrotate-updater.conf"
: >"$tmp/log/updater.log"
echo line >>"$tmp/log/updater.log"
logrotate -d -s "$tmp/state-updater" "$tmp/logrotate-updater.conf" >"$tmp/logrotate-dry.txt" 2>&1 ||
  fail "logrotate -d rejected the chipmunk-updater configuration: $(cat "$tmp/logrotate-dry.txt")"
grep -q "rotating pattern: $tmp/log/updater.log" "$tmp/logrotate-dry.txt" ||
  fail "logrotate did not consider the updater log: $(cat "$tmp/logrotate-dry.txt")"
pass "logrotate accepts the shipped chipmunk-updater configuration"

# A steady stream: batches of 20 requests (one curl, one keep-alive connection each);
# every batch records its status codes and then bumps the progress counter.
batches=30
per_batch=20
urls=()
for _ in $(seq 1 "$per_batch"); do urls+=(-o /dev/null "http://127.0.0.1:$api_port/get/ip"); done
(
  for b in $(seq 1 "$batches"); do
    curl -sS --max-time 20 -u alice:alice-secret -w '%{http_code}\n' "${urls[@]}" \
      >>"$tmp/codes" || true
    echo "$b" >"$tmp/progress.new" && mv "$tmp/progress.new" "$tmp/progress"
    sleep 0.05
  done
) &
driver=$!
started_pids+=("$driver")

wait_progress() {
  for _ in $(seq 1 600); do
    p="$(cat "$tmp/progress" 2>/dev/null || true)"
    [ "${p:-0}" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "the request stream stalled before batch $1"
}
wait_progress 8
logrotate -f -s "$tmp/state" "$tmp/logrotate.conf" || fail "first rotation failed"
wait_progress 16
logrotate -f -s "$tmp/state" "$tmp/logrotate.conf" || fail "second rotation failed"
wait_progress 22
logrotate -f -s "$tmp/state" "$tmp/logrotate.conf" || fail "third rotation failed"
wait "$driver" || true

sent=$((batches * per_batch))
expect_eq "$(grep -c '^200$' "$tmp/codes")" "$sent" "all $sent requests got 200"

# The log is buffered (flushed every second and on SIGUSR1): stop the server so every
# line is written before counting.
kill -TERM "$api_pid"
for _ in $(seq 1 100); do kill -0 "$api_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$api_pid" 2>/dev/null || fail "chipmunk-api did not stop"
wait "$api_pid" || fail "chipmunk-api exited with an error"

ls -l "$tmp/log" | sed 's/^/# /'
files=("$tmp"/log/chipmunk-api.log*)
[ "${#files[@]}" -ge 4 ] || fail "expected the live log and three rotations, got: ${files[*]}"
[ -f "$tmp/log/chipmunk-api.log.3.gz" ] && [ -f "$tmp/log/chipmunk-api.log.2.gz" ] &&
  [ -f "$tmp/log/chipmunk-api.log.1" ] || fail "compress/delaycompress did not behave: ${files[*]}"
pass "three rotations: .1 kept plain (delaycompress), older ones compressed"
for f in "${files[@]}"; do
  n="$(zcat -f "$f" | grep -c 'request method=GET path="/get/ip" status=200' || true)"
  echo "# $(basename "$f"): $n request lines"
done
total="$(zcat -f "${files[@]}" | grep -c 'request method=GET path="/get/ip" status=200' || true)"
expect_eq "$total" "$sent" "request lines across all rotated files equal requests sent"
expect_eq "$(zcat -f "${files[@]}" | grep -c 'log file reopened' || true)" 3 \
  "chipmunk-api reopened its log once per rotation"
# Each rotated file got lines: the rotations really happened during the stream.
for f in "$tmp/log/chipmunk-api.log.1" "$tmp/log/chipmunk-api.log.2.gz"; do
  [ "$(zcat -f "$f" | grep -c 'request method=' || true)" -gt 0 ] ||
    fail "$(basename "$f") holds no request line"
done
pass "rotated files in the middle of the stream hold request lines"
# Without systemd: the shipped postrotate as it is, signalling the pid in [Paths] pid_file.
# Only the paths are replaced: the log, the pid file, and /run/systemd/system (which may
# exist on the test host) by a directory that does not.
nosd="$tmp/nosd"
mkdir -p "$nosd/log"
cfg="$(api_config "$nosd")"
sed -i -e "s|^file = .*|file = $nosd/log/chipmunk-api.log|" \
  -e "s|^client_update_dir = .*|&\npid_file = $nosd/api.pid|" "$cfg"
start_api "$api_bin" "$cfg" "$nosd/log/chipmunk-api.log"
expect_eq "$(cat "$nosd/api.pid" 2>/dev/null || true)" "$api_pid" \
  "chipmunk-api wrote its pid to [Paths] pid_file"
rc=0
"$api_bin" --config "$cfg" >"$nosd/second.txt" 2>&1 || rc=$?
expect_eq "$rc" 1 "a second chipmunk-api with the same pid file refuses to start"
grep -q "another process (pid $api_pid) holds it" "$nosd/second.txt" ||
  fail "the second instance did not say why: $(cat "$nosd/second.txt")"
expect_eq "$(cat "$nosd/api.pid")" "$api_pid" "the refused instance left the pid file alone"

sed -e "s|/var/log/chipmunk/chipmunk-api.log|$nosd/log/chipmunk-api.log|" \
  -e "s|/run/systemd/system|$nosd/no-systemd|g" \
  -e "s|/run/chipmunk-api.pid|$nosd/api.pid|g" \
  "$src/scripts/logrotate/chipmunk-api" >"$nosd/logrotate.conf"
grep -q "kill -USR1 \"\$(cat $nosd/api.pid)\"" "$nosd/logrotate.conf" ||
  fail "the shipped postrotate has no pid-file branch: $(cat "$nosd/logrotate.conf")"
requests() {
  local urls=()
  for _ in $(seq 1 "$1"); do urls+=(-o /dev/null "http://127.0.0.1:$api_port/get/ip"); done
  curl -sS --max-time 20 -u alice:alice-secret -w '%{http_code}\n' "${urls[@]}" >>"$nosd/codes"
}
# Three batches of 40 requests, rotated between them; each rotation must be followed by a
# reopen (so the next batch goes to the new file, and .1 is closed before it is compressed).
for batch in 1 2 3; do
  requests 40
  if [ "$batch" -lt 3 ]; then
    logrotate -f -s "$nosd/state" "$nosd/logrotate.conf" || fail "rotation $batch failed"
    for _ in $(seq 1 150); do
      [ "$(grep -c 'log file reopened' "$nosd/log/chipmunk-api.log" 2>/dev/null || true)" -ge 1 ] &&
        break
      sleep 0.1
    done
    grep -q 'log file reopened' "$nosd/log/chipmunk-api.log" ||
      fail "rotation $batch: chipmunk-api did not reopen its log (nobody signalled it)"
  fi
done
expect_eq "$(grep -c '^200$' "$nosd/codes")" 120 "all 120 requests got 200"
kill -TERM "$api_pid"
for _ in $(seq 1 100); do kill -0 "$api_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$api_pid" 2>/dev/null || fail "chipmunk-api did not stop"
wait "$api_pid" || fail "chipmunk-api exited with an error"
[ ! -e "$nosd/api.pid" ] || fail "chipmunk-api left its pid file behind"
pass "chipmunk-api removed its pid file on exit"
ls -l "$nosd/log" | sed 's/^/# /'
line='request method=GET path="/get/ip" status=200'
expect_eq "$(zcat -f "$nosd/log/chipmunk-api.log.2.gz" | grep -c "$line" || true)" 40 \
  "no systemd: the first batch is whole in .2.gz (compressed after it was closed)"
expect_eq "$(grep -c "$line" "$nosd/log/chipmunk-api.log.1" || true)" 40 \
  "no systemd: the second batch is whole in .1"
expect_eq "$(grep -c "$line" "$nosd/log/chipmunk-api.log" || true)" 40 \
  "no systemd: the third batch went to the new file, written after the rotation"
echo "logrotate: $checks checks passed"
