#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when a C++ file is over 450 lines or a function over 80, unless it says why.

A file may be longer when one of its first 30 lines is a comment starting "// Long file:";
a function may be longer when the comment line right above its signature starts
"// Long function:". Both are followed by the reason. Functions are found the way
clang-format lays them out (a signature line ending in "{" closed by a "}" at the same
indentation); lambdas count as part of the function that holds them.

Usage: scripts/check-layout.py [--list] [FILE ...]   (default: every tracked .cpp/.hpp)
"""
import re
import subprocess
import sys

MAX_FILE = 450
MAX_FUNCTION = 80
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|else|do|try|namespace|class|struct|"
                     r"union|enum|extern|return|case|default)\b")
SIGNATURE_END = re.compile(r"\)\s*(const\s*)?(noexcept\s*)?(override\s*)?(final\s*)?"
                           r"(->\s*[^{;]+)?(\s*:\s*.*)?\{$")


def functions(lines):
    """(name line index, first line index, last line index) of each function body."""
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped.endswith("{") or CONTROL.match(line) or stripped.startswith("//"):
            i += 1
            continue
        # The signature may span lines: walk back to the line that opens it.
        start = i
        text = stripped
        while ("(" not in text or text.count("(") < text.count(")")) and start > 0:
            start -= 1
            text = lines[start].strip() + " " + text
        indent = len(lines[start]) - len(lines[start].lstrip())
        if "(" not in text or not SIGNATURE_END.search(text) or "= [" in text or \
                text.startswith("[") or CONTROL.match(lines[start]) or " = " in text.split("(")[0]:
            i += 1
            continue
        closing = " " * indent + "}"
        end = i + 1
        while end < len(lines) and lines[end].rstrip() not in (closing, closing + ";"):
            end += 1
        if end >= len(lines):
            i += 1
            continue
        found.append((start, end))
        i = end + 1
    return found


def check(path, listing):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    problems = []
    if len(lines) > MAX_FILE and not any(l.lstrip().startswith("// Long file:") for l in lines[:30]):
        problems.append(f"{path}:1: {len(lines)} lines (over {MAX_FILE}); split it or say why "
                        f"in a '// Long file:' comment near the top")
    for start, end in functions(lines):
        length = end - start + 1
        above = lines[start - 1].lstrip() if start > 0 else ""
        if listing and length > 60:
            print(f"{path}:{start + 1}: {length} lines: {lines[start].strip()[:70]}")
        if length > MAX_FUNCTION and not above.startswith("// Long function:"):
            problems.append(f"{path}:{start + 1}: function of {length} lines (over {MAX_FUNCTION}); "
                            f"split it or say why in a '// Long function:' comment above it")
    return problems


def main(argv):
    listing = "--list" in argv
    files = [a for a in argv if not a.startswith("--")]
    if not files:
        files = subprocess.check_output(["git", "ls-files", "*.cpp", "*.hpp"], text=True).split()
    problems = []
    for path in files:
        problems += check(path, listing)
    for p in problems:
        print(p)
    print(f"layout: {len(files)} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
