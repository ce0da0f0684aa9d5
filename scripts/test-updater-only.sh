#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The updater-only build as a machine without Pistache sees it: configures build-updater/
# with Pistache hidden from pkg-config (every other .pc file stays visible), checks that
# CMake chose the updater-only build by itself, builds it, checks that no Pistache header
# was compiled and nothing links libpistache, and runs its tests (the config, provider and
# updater areas; the cases that need the real chipmunk-api are left out).
# Usage: scripts/test-updater-only.sh [BUILD_DIR]     (default: build-updater/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-updater}"
"$root/scripts/install-deps.sh" >&2
. "$root/scripts/lib/ccache.sh"

# A pkg-config search path with every .pc file of the default one except Pistache's.
pcdir="$(mktemp -d "${TMPDIR:-/tmp}/chipmunk-pc.XXXXXX")"
trap 'rm -rf "$pcdir"' EXIT
IFS=: read -r -a dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
  for pc in "$d"/*.pc; do
    [ -e "$pc" ] || continue
    case "$(basename "$pc")" in libpistache*.pc) continue ;; esac
    [ -e "$pcdir/$(basename "$pc")" ] || ln -s "$pc" "$pcdir/"
  done
done
export PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH=""
! pkg-config --exists libpistache || { echo "FAIL: Pistache is still visible" >&2; exit 1; }

rm -f "$build/CMakeCache.txt"   # the default is decided at the first configure
# The flags of scripts/build.sh's build, so that ccache serves the libraries from it.
. "$root/scripts/lib/build-flags.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${release_flags[@]}" \
  >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
grep -q "Pistache (libpistache-dev) not found: building chipmunk-updater only" \
  "$build.configure.log" || { cat "$build.configure.log" >&2; echo "FAIL: no updater-only message" >&2; exit 1; }
grep -qx "CHIPMUNK_BUILD_API:BOOL=OFF" "$build/CMakeCache.txt" ||
  { echo "FAIL: CHIPMUNK_BUILD_API is not OFF without Pistache" >&2; exit 1; }
rm -f "$build.configure.log"
ninja -C "$build" -j "$(nproc)"
[ ! -e "$build/api/chipmunk-api" ] || { echo "FAIL: chipmunk-api was built" >&2; exit 1; }
[ -x "$build/updater/chipmunk-updater" ] || { echo "FAIL: no chipmunk-updater" >&2; exit 1; }
if ninja -C "$build" -t deps | grep -i pistache; then
  echo "FAIL: a Pistache header was compiled in the updater-only build (above)" >&2
  exit 1
fi
if grep -ri pistache "$build/build.ninja"; then
  echo "FAIL: the updater-only build names Pistache (above)" >&2
  exit 1
fi
echo "updater-only build: no Pistache header compiled, nothing links Pistache"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
