# SPDX-License-Identifier: MIT
# Sourced by scripts that run a throw-away chipmunk-api (bench/soak.sh, bench/run.sh,
# scripts/valgrind-api.sh, tests/clients/lib.sh); not executable on its own.

# write_api_ini DIR LEVEL THREADS: makes DIR/data and writes DIR/api.ini with the store in
# DIR/data, the log in DIR/api.log at LEVEL, and a [Server] section with THREADS threads
# that the caller may go on with (cat >>"DIR/api.ini": [Server] keys, then its own sections).
write_api_ini() {
  mkdir -p "$1/data"
  cat >"$1/api.ini" <<INI
[Paths]
client_update_dir = data
[Log]
file = api.log
level = $2
[Server]
threads = $3
INI
}

# run_api BIN DIR: starts BIN --config DIR/api.ini in the background (its output in
# DIR/api-stdout.log), sets api_pid, and waits up to 10 s for the "listening" line in
# DIR/api.log (so the log must be at level info or more). Returns 1 when the server exits
# or does not start in time.
run_api() {
  "$1" --config "$2/api.ini" >"$2/api-stdout.log" 2>&1 &
  api_pid=$!
  local _
  for _ in $(seq 100); do
    grep -q "listening address=" "$2/api.log" 2>/dev/null && return 0
    kill -0 "$api_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
