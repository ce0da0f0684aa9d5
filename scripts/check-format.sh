#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails when a C++ file differs from what .clang-format makes of it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v clang-format >/dev/null || "$root/scripts/install-deps.sh" clang-format
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.hpp.in' | grep -v '\.in$')
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
