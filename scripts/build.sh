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
  extra+=(-DCHIPMUNK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"   # cache hits across checkouts of the tree
# ...also with -g: ccache otherwise hashes the build directory's path into every object
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${extra[@]}" >/dev/null
ninja -C "$build" -j "$(nproc)" "$@"
