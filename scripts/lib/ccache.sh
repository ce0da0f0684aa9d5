# SPDX-License-Identifier: MIT
# Sourced by the scripts that build (build.sh, build-deb.sh, test-updater-only.sh,
# cross-arm64.sh) with $root set to the tree: ccache's settings, once. Not executable.
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"  # cache hits across checkouts of the tree
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"  # ...also with -g (no build path in the hash)
