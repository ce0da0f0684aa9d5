#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds Chipmunk with ccache.
# Usage: scripts/build.sh [--sanitize] [ninja-target ...]   (build/ or build-asan/; with clang,
# build-asan/ has the fuzz targets too)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
extra=()
if [ "${1:-}" != "--sanitize" ]; then
  . "$root/scripts/lib/build-flags.sh"
  extra+=("${release_flags[@]}")
else
  shift
  build="$root/build-asan"
  # -O1, line tables only: what the sanitizers' documentation advises, and a fifth of -O0's
  # binary. clang where installed (scripts/install-deps.sh --tests): gcc gives each of
  # UBSan's check descriptors an ASan red zone, and the 350 MB test binary spent a second
  # per test starting up.
  extra+=(-DCHIPMUNK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  if command -v clang++ >/dev/null; then
    compiler=clang++
    extra+=(-DCMAKE_CXX_COMPILER=clang++ "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only")
    # With clang the same build holds the libFuzzer targets (scripts/fuzz.sh runs them from
    # here): their flags are these plus coverage, and CI builds the code once instead of twice.
    # They link chipmunk-api's code: not in an updater-only build (no Pistache).
    if pkg-config --exists 'libpistache >= 0.0.5' 2>/dev/null; then
      extra+=(-DCHIPMUNK_FUZZ=ON)
    fi
  else
    compiler=c++
    extra+=(-DCMAKE_CXX_COMPILER=c++ "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g")
  fi
  # A build directory configured with another compiler starts afresh (CMake keeps the first).
  if [ -f "$build/CMakeCache.txt" ] &&
    ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*/$compiler\$\|^CMAKE_CXX_COMPILER:[A-Z]*=$compiler\$" \
      "$build/CMakeCache.txt"; then
    rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
  fi
fi
. "$root/scripts/lib/ccache.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${extra[@]}" >/dev/null
ninja -C "$build" -j "$(nproc)" "$@"
