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
# Twice as many tests at once as CPUs: much of the suite waits (servers starting, real nginx,
# Apache and PostgreSQL, timeouts). Measured on 2 CPUs (2026-12-03): 744 tests in 343 s at
# -j2, 237 s at -j4; the sanitizer build's 742 in 529 s and 445 s. The cases that measure how
# the server shares CPU run alone ([serial]: RUN_SERIAL, tests/CMakeLists.txt).
# CHIPMUNK_TEST_JOBS=N overrides.
ctest --output-on-failure -j "${CHIPMUNK_TEST_JOBS:-$((2 * $(nproc)))}"
