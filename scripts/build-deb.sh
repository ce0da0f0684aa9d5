#!/usr/bin/env bash
# Builds the Debian package chipmunk_<version>_<arch>.deb with CPack (Release build,
# installed under /usr, /etc; Depends from dpkg-shlibdeps). Prints the package's path.
# Usage: scripts/build-deb.sh [BUILD_DIR]     (default: build-deb/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-deb}"
"$root/scripts/install-deps.sh" dpkg-dev >&2
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"   # cache hits across checkouts of the tree
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DCHIPMUNK_TESTS=OFF \
  -DCHIPMUNK_BENCH=OFF -Wno-dev >/dev/null
ninja -C "$build" -j "$(nproc)" >&2
rm -f "$build"/chipmunk_*.deb
(cd "$build" && cpack -G DEB >&2)
deb="$(ls "$build"/chipmunk_*.deb)"
dpkg-deb -I "$deb" >&2
echo "$deb"
