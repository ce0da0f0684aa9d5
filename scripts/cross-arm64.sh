#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chipmunk-updater for arm64 (routers, Raspberry Pis), from this x86-64 Debian 12 machine:
#   1. cross-builds the chipmunk-updater package with Debian's cross toolchain and multiarch
#      libraries (dpkg-buildpackage -a arm64, profile pkg.chipmunk.updater-only);
#   2. cross-builds the updater-only test suite (build-arm64/) and runs it under qemu-user
#      (ctest through CMAKE_CROSSCOMPILING_EMULATOR; the cases that need chipmunk-api are
#      left out as in every updater-only build);
#   3. runs the packaged arm64 chipmunk-updater --once, under qemu, against the x86-64
#      chipmunk-api of build/ on loopback (method = set: the server stores the address);
#   4. prints the size of both packaged updater binaries and their resident memory as daemons
#      (under qemu-user VmRSS is the emulator's process: the arm64 code plus qemu itself).
# Takes minutes (a cross build of the updater and of its tests): a documented script rather
# than a CI step. Run as root (apt-get: dpkg --add-architecture arm64 and the :arm64 -dev
# packages). Usage: scripts/cross-arm64.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tests/deploy/lib.sh"   # pass/fail, temp dir, process cleanup, start_api
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
"$root/scripts/install-deps.sh" crossbuild-essential-arm64 qemu-user libinih-dev:arm64 \
  libspdlog-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64 libpcre2-dev:arm64 \
  pkgconf:arm64 libldns-dev \
  dpkg-dev debhelper catch2 rapidjson-dev file >&2
# (libldns-dev:arm64 cannot be installed beside libldns-dev:amd64 in bookworm; the native
# headers serve, as libldns is loaded with dlopen(), not linked.)
. "$root/scripts/lib/ccache.sh"

# 1. The packages, arm64 and (for the comparison) x86-64.
"$root/scripts/build-deb.sh" --updater-only --arch arm64 "$root/build-deb/arm64" >/dev/null
"$root/scripts/build-deb.sh" --updater-only "$root/build-deb/amd64" >/dev/null
arm_deb="$(ls "$root"/build-deb/arm64/chipmunk-updater_*_arm64.deb)"
x86_deb="$(ls "$root"/build-deb/amd64/chipmunk-updater_*_amd64.deb)"
expect_eq "$(dpkg-deb -f "$arm_deb" Architecture)" arm64 "the cross-built package is arm64"
! dpkg-deb -f "$arm_deb" Depends | grep -q pistache || fail "the arm64 updater depends on Pistache"
dpkg-deb -x "$arm_deb" "$tmp/arm64"
dpkg-deb -x "$x86_deb" "$tmp/amd64"
file "$tmp/arm64/usr/bin/chipmunk-updater" | grep -q 'ARM aarch64' || fail "not an aarch64 binary"
pass "chipmunk-updater_arm64.deb: $(dpkg-deb -f "$arm_deb" Depends)"

# 2. The updater-only tests, cross-built, run under qemu.
build="$root/build-arm64"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DCMAKE_LIBRARY_ARCHITECTURE=aarch64-linux-gnu \
  -DPKG_CONFIG_EXECUTABLE=/usr/bin/aarch64-linux-gnu-pkg-config \
  -DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64 -DCHIPMUNK_BUILD_API=OFF -DCHIPMUNK_BENCH=OFF \
  >"$tmp/cmake.txt" 2>&1 || fail "cross configure: $(tail -n 20 "$tmp/cmake.txt")"
ninja -C "$build" -j "$(nproc)" >"$tmp/ninja.txt" 2>&1 || fail "cross build: $(tail -n 20 "$tmp/ninja.txt")"
# Left out: the cases that start the chipmunk-updater binary from the emulated test
# program (an aarch64 execve() needs binfmt_misc, which this machine kind lacks; step 3
# runs that binary under qemu instead), the linkage test (the host's ldd) and the
# packaging checks (architecture-independent, run by the native build).
(cd "$build" && ctest -E '^chipmunk-updater|documented JSON example passes --check-config|updater.linkage|^packaging' \
  --output-on-failure \
  -j "$(nproc)") >"$tmp/ctest.txt" 2>&1 ||
  fail "tests under qemu: $(grep -E 'Failed|\*\*\*' "$tmp/ctest.txt" | head -n 20)"
pass "updater-only tests under qemu-aarch64: $(grep -o '[0-9]*% tests passed.*' "$tmp/ctest.txt")"

# 3. The packaged arm64 updater, once, against the x86-64 chipmunk-api on loopback.
api_bin="$root/build/api/chipmunk-api"
[ -x "$api_bin" ] || "$root/scripts/build.sh" chipmunk-api >/dev/null
start_api "$api_bin" "$(api_config "$tmp/api")" "$tmp/api/api.log"
updater_ini() { # STATE_DIR [DAEMON]
  printf '[Global]\nupdate_dns = no\nallow_private = yes\nstate_dir = %s\n' "$1"
  printf '[ChipmunkAPIServer]\nendpoint = http://127.0.0.1:%s\nusername = alice\n' "$api_port"
  printf 'password = alice-secret\nmethod = set\n[Daemon]\ninterval = 1h\n'
}
updater_ini "$tmp/state-once" >"$tmp/once.ini"
qemu-aarch64 "$tmp/arm64/usr/bin/chipmunk-updater" --config "$tmp/once.ini" --once \
  >"$tmp/once.txt" 2>&1 || fail "arm64 chipmunk-updater --once: $(cat "$tmp/once.txt")"
expect_eq "$(cat "$tmp/api/data/alice.cm")" 127.0.0.1 \
  "the arm64 updater (qemu) stored its address in chipmunk-api over loopback"

# 4. Size and resident memory, arm64 beside x86-64.
rss_kb() { # CONFIG COMMAND...: VmRSS of a daemon 2 s after its first check
  local cfg="$1"
  shift
  "$@" --config "$cfg" >/dev/null 2>&1 &
  local pid=$!
  started_pids+=("$pid")
  sleep 2
  awk '/^VmRSS/ {print $2}' "/proc/$pid/status"
  kill -TERM "$pid"
  wait "$pid" || true
}
updater_ini "$tmp/state-x86" >"$tmp/x86.ini"
updater_ini "$tmp/state-arm" >"$tmp/arm.ini"
x86_rss="$(rss_kb "$tmp/x86.ini" "$tmp/amd64/usr/bin/chipmunk-updater")"
arm_rss="$(rss_kb "$tmp/arm.ini" qemu-aarch64 "$tmp/arm64/usr/bin/chipmunk-updater")"
printf '# %-8s %12s %12s %16s\n' arch "binary (B)" "package (B)" "daemon RSS (kB)"
printf '# %-8s %12s %12s %16s\n' x86-64 "$(stat -c %s "$tmp/amd64/usr/bin/chipmunk-updater")" \
  "$(stat -c %s "$x86_deb")" "$x86_rss"
printf '# %-8s %12s %12s %16s\n' arm64 "$(stat -c %s "$tmp/arm64/usr/bin/chipmunk-updater")" \
  "$(stat -c %s "$arm_deb")" "$arm_rss (qemu-user process)"
echo "arm64: $checks checks passed"
