#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The first of the README's two commands: installs what is missing, builds, and runs
# chipmunk-api on 127.0.0.1:8080 with config/chipmunk-api.ini, the file store in data/
# and the demo user (demo / demo-password). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" chipmunk-api   # the server only: quick on a fresh machine
mkdir -p "$root/data"
echo "chipmunk-api on http://127.0.0.1:8080 - try: curl -u demo:demo-password http://127.0.0.1:8080/get/ip"
exec "$root/build/api/chipmunk-api" --config "$root/config/chipmunk-api.ini" "$@"
