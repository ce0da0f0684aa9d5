# SPDX-License-Identifier: MIT
# Sourced by the bench scripts (bench/run.sh, bench/scale.sh); not executable on its own.

# free_port: a loopback port nobody listens on (bounded tries; the kernel picks the range).
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "$(basename "$0"): no free port found" >&2
  return 1
}

# nginx_conf_head DIR WORKERS: the start of a throw-away nginx's configuration, its pid, logs
# and temporary files in DIR, up to and including "http {" and its common lines; the caller
# adds its servers and the closing brace.
nginx_conf_head() {
  cat << CONF
worker_processes $2;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
$(nginx_temp_paths "$1/tmp")
CONF
}

# cpu_ticks PID...: their user + system CPU time in clock ticks (0 for a process gone).
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2> /dev/null || echo 0)))
  done
  echo "$total"
}

# nginx_temp_paths DIR: the http-block lines that keep a throw-away nginx's temporary files
# in DIR (instead of the system's /var/lib/nginx).
nginx_temp_paths() {
  local kind
  for kind in client_body proxy fastcgi uwsgi scgi; do
    echo "  ${kind}_temp_path $1/$kind;"
  done
}
