#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The second of the README's two commands: installs what is missing, builds, and runs the
# whole test suite with ctest. `--sanitize` does the same in an ASan+UBSan build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" --tests
"$root/scripts/build.sh" "$@"
build="$root/build"
[ "${1:-}" = "--sanitize" ] && build="$root/build-asan"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
