#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages Chipmunk needs that are not installed yet.
# Usage: scripts/install-deps.sh [--tests] [--bench] [extra-package ...]
#   --tests  also the real programs the test suite starts: nginx, Apache, BIND, ddclient,
#            inadyn, Chromium, logrotate, ...
#   --bench  also what the benchmarks use (docs/BENCHMARKS.md): wrk, nginx, golang-go (the Go
#            echo that bench/run.sh builds), linux-perf and strace (bench/profile.sh), GNU time
#            (bench/run.sh: the load generator's own CPU)
# Services that Debian would start on installation (nginx, apache2, named) are not started:
# the tests start their own instances on loopback ports and stop them.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache curl dpkg-dev
  libpistache-dev libcurl4-openssl-dev libssl-dev rapidjson-dev libinih-dev
  libspdlog-dev catch2 libldns-dev libpcre2-dev libpq-dev
)
test_packages=(
  clang-format iproute2 openssl procps util-linux logrotate systemd
  nginx apache2 bind9 bind9-utils bind9-dnsutils postgresql
  ddclient libio-socket-ssl-perl inadyn chromium wrk nftables
  valgrind clang libclang-rt-14-dev groff-base man-db debhelper lintian python3
  wireguard-tools wireguard-go prometheus
)
bench_packages=(wrk nginx openssl procps golang-go linux-perf strace time)
while [ $# -gt 0 ]; do
  case $1 in
    --tests) packages+=("${test_packages[@]}") ;;
    --bench) packages+=("${bench_packages[@]}") ;;
    *) break ;;
  esac
  shift
done
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
# Keep postinst scripts from starting daemons on ports 80/53 (policy-rc.d, exit 101 = deny).
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  added_policy=1
fi
cleanup() { [ -n "$added_policy" ] && $sudo rm -f "$policy"; return 0; }
trap cleanup EXIT
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
