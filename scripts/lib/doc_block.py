#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Replaces the first ``` block after ANCHOR in a Markdown FILE with standard input.

Usage: some-command | scripts/lib/doc_block.py FILE [ANCHOR]   (no ANCHOR: the first block)
The generated-docs scripts (update-config-doc.sh, update-updater-doc.sh) use it.
"""
import sys

path = sys.argv[1]
anchor = sys.argv[2] if len(sys.argv) > 2 else ""
text = sys.stdin.read().rstrip("\n") + "\n"
doc = open(path, encoding="utf-8").read()
start = doc.index("```\n", doc.index(anchor) if anchor else 0) + 4
end = doc.index("```", start)
open(path, "w", encoding="utf-8").write(doc[:start] + text + doc[end:])
