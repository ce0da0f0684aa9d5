#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rewrites the settings block of docs/CONFIG.md from `chipmunk-api --help-config`, printed from the
# setting rows (config/api_server_settings.cpp, config/api_users.cpp: each setting said once).
# A unit test fails when the two drift apart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/api/chipmunk-api}"
python3 - "$root/docs/CONFIG.md" "$("$bin" --help-config)" <<'PY'
import sys
path, ref = sys.argv[1], sys.argv[2] + "\n"
doc = open(path).read()
start = doc.index("```\n") + 4
end = doc.index("```", start)
open(path, "w").write(doc[:start] + ref + doc[end:])
PY
