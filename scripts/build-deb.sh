#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages chipmunk-api and chipmunk-updater from debian/ with
# dpkg-buildpackage (binary only), in a copy of the tree under build-deb/ (dpkg-buildpackage
# writes beside the source it builds). Prints the paths of the packages, one a line.
# Why dpkg-buildpackage and not CPack: debhelper gives each package Debian's systemd
# maintainer scripts (deb-systemd-helper, deb-systemd-invoke), conffiles, compressed man
# pages and changelogs, shlibs and a cross build (dpkg-buildpackage -a arm64) for free;
# CPack would need each of them written by hand.
# Usage: scripts/build-deb.sh [--updater-only] [OUT_DIR]
#   --updater-only    the pkg.chipmunk.updater-only profile: chipmunk-updater without Pistache
#   --arch A          cross-build for Debian architecture A (arm64; needs crossbuild-essential-A
#                     and the :A -dev packages, see scripts/cross-arm64.sh)
#   OUT_DIR           where the .deb files go (default: build-deb/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
profiles=()
arch=()
while [ $# -gt 0 ]; do
  case "$1" in
    --updater-only) profiles=(--build-profiles=pkg.chipmunk.updater-only); shift ;;
    # -d: bookworm's libldns-dev:arm64 cannot be installed beside libldns-dev:amd64 (a
    # shared documentation file differs); the native headers serve, as libldns is loaded
    # with dlopen() and not linked.
    --arch) arch=(-a "$2" -d); shift 2 ;;
      -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
out="${1:-$root/build-deb}"
"$root/scripts/install-deps.sh" dpkg-dev debhelper >&2
. "$root/scripts/lib/ccache.sh"
# The copy lives at one path (dpkg-buildpackage writes the packages to its parent), so
# that the compiler's -ffile-prefix-map stays the same and ccache serves a rebuild.
work="$root/build-deb/debian-build"
rm -rf "$work"
mkdir -p "$work/chipmunk" "$out"
# The tracked files and new ones not ignored: what the next commit would hold.
(cd "$root" && git ls-files -co --exclude-standard -z |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  xargs -0 cp --parents -t "$work/chipmunk")
export CHIPMUNK_GIT_DESCRIBE
CHIPMUNK_GIT_DESCRIBE="$(git -C "$root" describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null || true)"
(cd "$work/chipmunk" && dpkg-buildpackage -b -us -uc "${arch[@]}" "${profiles[@]}" >&2)
rm -f "$out"/chipmunk-api_*.deb "$out"/chipmunk-updater_*.deb
for deb in "$work"/*.deb; do
  case "$(basename "$deb")" in *-dbgsym_*) continue ;; esac
  mv "$deb" "$out/"
  echo "$out/$(basename "$deb")"
done
rm -rf "$work"
