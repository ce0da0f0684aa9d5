#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chipmunk-updater's footprint: the release build maps no C++ runtime, spdlog, fmt, libcurl
# or libldns at start (the daemon-RSS target in docs/BENCHMARKS.md depends on it); libcurl
# and libldns are loaded with dlopen() only when a configuration needs them.
# Usage: linkage_test.sh CHIPMUNK_UPDATER_BINARY
set -euo pipefail
bin="$1"
needed="$(readelf -d "$bin" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | sort | tr '\n' ' ')"
echo "NEEDED: $needed"
for lib in libstdc++ libgcc_s libm. libspdlog libfmt libcurl libldns libssl libcrypto; do
  if grep -q -- "$lib" <<<"$needed"; then
    echo "FAIL: chipmunk-updater links $lib at start" >&2
    exit 1
  fi
done
# And what the process maps at run time agrees (ld.so resolves the whole tree).
mapped="$(LD_TRACE_LOADED_OBJECTS=1 "$bin" | awk '{print $1}' | tr '\n' ' ')"
echo "loaded: $mapped"
for lib in libstdc++ libspdlog libfmt libcurl libldns libssl libcrypto; do
  if grep -q -- "$lib" <<<"$mapped"; then
    echo "FAIL: chipmunk-updater loads $lib at start" >&2
    exit 1
  fi
done
echo "ok: chipmunk-updater starts with: $mapped"
