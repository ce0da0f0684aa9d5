#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/SECURITY.md names the tests that prove each guard: every quoted "Area: behaviour"
name there must be a test case of the suite, so a renamed or deleted test cannot leave the
document pointing at nothing. Usage: security_doc_test.py SECURITY.md CHIPMUNK_TESTS_BIN"""
import re
import subprocess
import sys

doc, binary = sys.argv[1], sys.argv[2]
text = re.sub(r"\s*\n\s*", " ", open(doc, encoding="utf-8").read())
named = set(re.findall(r'"([A-Z][A-Za-z0-9 ]*: [^"]+)"', text))
# Catch2 v2 exits with the number of test cases listed: not an error.
listed = subprocess.run([binary, "--list-test-names-only"], capture_output=True, text=True,
                        check=False).stdout.splitlines()
missing = sorted(n for n in named if n not in set(listed))
for name in missing:
    print(f"{doc}: names a test that does not exist: \"{name}\"")
if len(named) < 40:
    print(f"{doc}: only {len(named)} test names found; the pattern no longer matches")
    sys.exit(1)
print(f"{len(named)} test names in {doc}, {len(missing)} missing")
sys.exit(1 if missing else 0)
