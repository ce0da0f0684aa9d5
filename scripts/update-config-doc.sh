#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rewrites the settings block of docs/CONFIG.md from `chipmunk-api --help-config`, printed from the
# setting rows (config/api_server_settings.cpp, config/api_users.cpp: each setting said once).
# A unit test fails when the two drift apart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/api/chipmunk-api}"
"$bin" --help-config | python3 "$root/scripts/lib/doc_block.py" "$root/docs/CONFIG.md"
