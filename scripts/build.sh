#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds Chipmunk with ccache.
# Usage: scripts/build.sh [--sanitize] [ninja-target ...]   (build/ or build-asan/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
extra=()
if [ "${1:-}" = "--sanitize" ]; then
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
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"   # cache hits across checkouts of the tree
# ...also with -g: ccache otherwise hashes the build directory's path into every object
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${extra[@]}" >/dev/null
ninja -C "$build" -j "$(nproc)" "$@"
