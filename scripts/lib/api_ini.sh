# SPDX-License-Identifier: MIT
# Sourced by scripts that run a throw-away chipmunk-api (bench/soak.sh, bench/run.sh,
# scripts/valgrind-api.sh); not executable on its own.

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
