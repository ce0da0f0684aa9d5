#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every source, script and build file of ours names its licence in its first lines
# (SPDX-License-Identifier: MIT; the licence text is LICENSE, the packages' copyright file
# says the same). Seed corpora and debian/ (covered by debian/copyright) are not sources.
# Usage: spdx_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
if ! git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "SKIP: not a git checkout (the file list comes from git ls-files)"
  exit 77
fi
missing=0
checked=0
while IFS= read -r f; do
  case "$f" in
    */corpus/* | debian/*) continue ;;
    *.cpp | *.hpp | *.hpp.in | *.cpp.in | *.sh | *.py | *.cmake | CMakeLists.txt | */CMakeLists.txt | .ci/run) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  if ! head -n 3 "$src/$f" | grep -q 'SPDX-License-Identifier: MIT'; then
    echo "$f: no SPDX-License-Identifier: MIT in its first 3 lines"
    missing=$((missing + 1))
  fi
done < <(git -C "$src" ls-files)
echo "$checked files checked, $missing without an SPDX line"
[ "$checked" -gt 100 ] || { echo "too few files found: the selection is broken"; exit 1; }
[ "$missing" -eq 0 ]
