# SPDX-License-Identifier: MIT
# Sourced by the scripts that build (build.sh, build-deb.sh, test-updater-only.sh,
# cross-arm64.sh) with $root set to the tree: ccache's settings, once. Not executable.
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"  # cache hits across checkouts of the tree
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"  # ...also with -g (no build path in the hash)
# dh sets LC_ALL=C.UTF-8 for the package build: the locale only changes the compiler's
# messages (and a warning fails the build: -Werror), so it stays out of the hash, and the
# package build hits the objects of scripts/build.sh's build (same flags: lib/build-flags.sh).
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-locale}"
