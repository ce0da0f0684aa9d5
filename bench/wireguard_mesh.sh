#!/bin/sh
# SPDX-License-Identifier: MIT
# WireGuard mesh: the time from router B's address change to the first successful ping
# from a1 to c across the tunnel, in the namespace "small internet" of
# tests/updater/wireguard_mesh_test.cpp (real wireguard-go, nftables NAT, chipmunk-api and
# four chipmunk-updater daemons with [Daemon] interval = 2 and watch = yes). Runs the
# hidden benchmark case of chipmunk_tests, which renumbers router B RUNS times in one
# topology (pings every 200 ms, each run bounded at 60 s), and prints every run and the
# median. A figure for docs/BENCHMARKS.md, not a check.
#
#   sudo RUNS=7 bench/wireguard_mesh.sh [BUILD_DIR]      (root: network namespaces)
set -eu
BUILD=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
RUNS=${RUNS:-7}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
CHIPMUNK_WG_BENCH_RUNS=$RUNS timeout 600 "$BUILD/tests/chipmunk_tests" \
  "WireGuard namespaces benchmark: renumbered router to first ping" > "$OUT" 2>&1 || {
  cat "$OUT" >&2
  echo "wireguard_mesh.sh: the benchmark case failed" >&2
  exit 1
}
if grep -q 'skipped:' "$OUT"; then
  grep 'skipped:' "$OUT" >&2
  exit 1
fi
grep '^wireguard-mesh run' "$OUT"
grep '^wireguard-mesh run' "$OUT" | awk '{print $(NF-1)}' | sort -n | awk '
  { v[NR] = $1 }
  END {
    if (NR == 0) { print "no runs"; exit 1 }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median of %d runs: %d ms (min %d, max %d)\n", NR, m, v[1], v[NR]
  }'
