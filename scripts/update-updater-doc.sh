#!/usr/bin/env bash
# Rewrites the settings reference block of docs/UPDATER.md from `chipmunk-updater
# --help-config`, the single declaration of every setting (providers included). A unit test
# (tests/updater/updater_config_test.cpp) fails when the two drift apart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/updater/chipmunk-updater}"
python3 - "$root/docs/UPDATER.md" "$("$bin" --help-config)" <<'PY'
import sys
path, ref = sys.argv[1], sys.argv[2] + "\n"
doc = open(path).read()
anchor = doc.index("### Reference (`chipmunk-updater --help-config`)")
start = doc.index("```\n", anchor) + 4
end = doc.index("```", start)
open(path, "w").write(doc[:start] + ref + doc[end:])
PY
