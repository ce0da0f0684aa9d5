# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by the bench scripts (bench/run.sh, bench/profile.sh, bench/scale.sh); not
# executable on its own.

# free_port: a loopback port nobody listens on (bounded tries), below the kernel's ephemeral
# range: a port that wrk's closed connections left in TIME_WAIT as their local port would
# make bind() fail with EADDRINUSE even though nothing listens on it.
free_port() {
  local p _ low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=50000
  for _ in $(seq 1 50); do
    p=$((10000 + RANDOM % (low - 10000)))
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

# wait_listener PORT: waits up to 10 s for a listener on 127.0.0.1:PORT.
wait_listener() {
  local _
  for _ in $(seq 1 200); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "$(basename "$0"): nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# make_tls_cert DIR: a throw-away self-signed P-256 certificate for 127.0.0.1, valid for two
# days, in DIR/cert.pem with its key in DIR/key.pem.
make_tls_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2> "$1/openssl.log"
}

# start_echo_nginx DIR WORKERS PORT [TLS_PORT CERT KEY]: starts nginx (prefix, config, pid
# file DIR/nginx.pid, logs in DIR) with WORKERS workers, answering `return 200 "Your IP:
# $remote_addr"` on 127.0.0.1:PORT, and with TLS on 127.0.0.1:TLS_PORT when given; waits for
# the listeners. Stop it with: kill "$(cat DIR/nginx.pid)".
start_echo_nginx() {
  local dir=$1 server tls=""
  mkdir -p "$dir/logs" "$dir/tmp"
  # shellcheck disable=SC2016 # $remote_addr is nginx's
  server='default_type text/plain; location / { return 200 "Your IP:  $remote_addr"; }'
  if [ $# -ge 6 ]; then
    # TLS 1.3 as Go and OpenSSL's defaults (Debian's nginx 1.22 offers only up to 1.2).
    tls="server { listen 127.0.0.1:$4 ssl backlog=1024; ssl_protocols TLSv1.2 TLSv1.3;
           ssl_certificate $5; ssl_certificate_key $6; $server }"
  fi
  cat > "$dir/nginx.conf" << CONF
$(nginx_conf_head "$dir" "$2")
  server { listen 127.0.0.1:$3 backlog=1024; $server }
  $tls
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" || return 1
  wait_listener "$3" || return 1
  [ -z "$tls" ] || wait_listener "$4"
}

# nginx_workers DIR: the PIDs of the worker processes of the nginx started in DIR.
nginx_workers() {
  pgrep -P "$(cat "$1/nginx.pid")" | tr '\n' ' '
}

# build_go_echo ROOT DIR: builds ROOT/bench/go_echo.go into DIR/go_echo with Debian's Go
# (standard library only, no network; the Go caches in DIR). Without `go` on PATH, or when
# the build fails, says why on stderr and returns 1.
build_go_echo() {
  command -v go > /dev/null || {
    echo "$(basename "$0"): go not found, Go echo skipped (scripts/install-deps.sh --bench)" >&2
    return 1
  }
  mkdir -p "$2/go-cache" "$2/go-path"
  GO111MODULE=off GOCACHE="$2/go-cache" GOPATH="$2/go-path" GOFLAGS='' GOPROXY=off \
    go build -o "$2/go_echo" "$1/bench/go_echo.go" > "$2/go-build.log" 2>&1 || {
    echo "$(basename "$0"): Go echo did not build, skipped: $(head -c 300 "$2/go-build.log")" >&2
    return 1
  }
}

# stop_started DIR PID...: stops the nginx started in DIR/nginx (if any) and the PIDs, and
# waits for those PIDs (children of the calling shell). For the scripts' EXIT traps.
stop_started() {
  local dir=$1 pid
  shift
  if [ -f "$dir/nginx/nginx.pid" ]; then
    kill "$(cat "$dir/nginx/nginx.pid")" 2> /dev/null || true
  fi
  for pid in "$@"; do
    kill "$pid" 2> /dev/null || true
  done
  for pid in "$@"; do
    wait "$pid" 2> /dev/null || true
  done
}

# write_directory DIR N HASH: a file directory (docs/USERS.md) of N users u0000000... all
# with the password hash HASH, and N hosts h0000000.example.org, one per user.
write_directory() {
  python3 - "$1" "$2" "$3" << 'PY'
import sys
d, n, h = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(d + "/.users", "w") as f:
    f.writelines("u%07d %s\n" % (i, h) for i in range(n))
with open(d + "/.hosts", "w") as f:
    f.writelines("h%07d.example.org u%07d\n" % (i, i) for i in range(n))
PY
}
