# SPDX-License-Identifier: MIT
# Sourced by tests/clients/*.sh (the tests that drive chipmunk-api with real clients);
# not executable on its own. Brings write_api_ini and run_api from scripts/lib/api_ini.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/api_ini.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

# stop_pid PID: ends PID (when set and still running) and reaps it.
stop_pid() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill "$1"; wait "$1" 2>/dev/null || true
  fi
}

# stop_group PID: ends the whole process group PID leads (Chromium runs in a session of
# its own): TERM, up to 5 s for it to go, then KILL. Nothing when PID is empty.
stop_group() {
  [ -n "$1" ] || return 0
  kill -TERM -- "-$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
}

# finish RC DIR SHOW...: the end of a cleanup trap. When RC is not 0, prints every DIR/*.log
# through the command SHOW (cat, or tail -50); then removes DIR and exits RC.
finish() {
  local rc=$1 dir=$2 f
  shift 2
  if [ "$rc" -ne 0 ]; then
    for f in "$dir"/*.log; do echo "===== $f"; "$@" "$f"; done
  fi
  rm -rf "$dir"
  exit "$rc"
}

# api_accounts DIR LISTEN "USER=PASSWORD ..." "HOST=USER ...": goes on with DIR/api.ini
# after write_api_ini: the [Server] listen address, then the [Users] and [Hosts] sections.
# The caller may append more sections after it.
api_accounts() {
  local pair
  {
    echo "listen = $2"
    echo "[Users]"
    for pair in $3; do echo "${pair%%=*} = ${pair#*=}"; done
    echo "[Hosts]"
    for pair in $4; do echo "${pair%%=*} = ${pair#*=}"; done
  } >>"$1/api.ini"
}

# in_loopback_netns ARGS...: runs the calling test in a network namespace with only loopback
# (Chromium talks to Google services on its own; fixed ports and nft rules stay private to
# the test). Re-executes the calling script with ARGS inside one unless already there; then
# brings lo up.
in_loopback_netns() {
  if [ -z "${CHIPMUNK_IN_NETNS:-}" ]; then
    local ns
    if [ "$(id -u)" -eq 0 ]; then ns=(unshare -n); else ns=(unshare -rn); fi
    exec "${ns[@]}" env CHIPMUNK_IN_NETNS=1 bash "$0" "$@"
  fi
  ip link set lo up
}

# need_chromium: sets browser to the Chromium binary; skips the test (exit 77) when Chromium
# or curl is missing.
need_chromium() {
  browser=$(command -v chromium || command -v chromium-browser || true)
  [ -n "$browser" ] || { echo "SKIP: chromium is not installed (scripts/install-deps.sh --tests)"; exit 77; }
  command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
}

# api_work NAME: for a test whose only process is chipmunk-api ($api_pid, set by run_api):
# makes the work directory $work (chipmunk-NAME-XXXXXX) and arms an EXIT trap that stops
# chipmunk-api and finishes, printing the logs in full on failure. A test may define
# on_failure to print more first (it runs only when the test failed).
api_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-$1-XXXXXX")
  api_pid=""
  trap _api_work_cleanup EXIT
}
_api_work_cleanup() {
  local rc=$?
  stop_pid "$api_pid"
  if [ $rc -ne 0 ] && declare -F on_failure >/dev/null; then
    on_failure || true
  fi
  finish $rc "$work" cat
}
