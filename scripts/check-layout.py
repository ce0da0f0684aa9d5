#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when a C++ file is over 450 lines or a function over 80, unless it says why.

A file may be longer when one of its first 30 lines is a comment starting "// Long file:";
a function may be longer when the comment line right above its signature starts
"// Long function:". Both are followed by the reason. Functions are found the way
clang-format lays them out (a signature line ending in "{" closed by a "}" at the same
indentation, a trailing comment allowed); a signature may span lines, with a constructor's
initializer list; member functions in class bodies and TEST_CASE bodies count as functions;
lambdas count as part of the function that holds them. String literals and comments are
left out when the signature's parentheses are counted.

Usage: scripts/check-layout.py [--list] [FILE ...]   (default: every tracked .cpp/.hpp)
Exit status: 0 clean, 1 problems, 77 no FILE given outside a git checkout.
"""
import re
import subprocess
import sys

MAX_FILE = 450
MAX_FUNCTION = 80
# Lines that open a block that is not a function ("} else {", "} catch (...) {" too).
CONTROL = re.compile(r"^\s*(\}\s*)?(if|for|while|switch|catch|else|do|try|namespace|class|"
                     r"struct|union|enum|extern|return|case|default)\b")
SIGNATURE_END = re.compile(r"\)\s*(const\s*)?(noexcept\s*)?(override\s*)?(final\s*)?"
                           r"(->\s*[^{;]+)?(\s*:\s*.*)?\{$")
LITERAL = re.compile(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'')
# How far back a signature may start from the line that holds its "{".
MAX_SIGNATURE_LINES = 12


def code(line):
    """The line without string and character literals (kept as "") and // comments."""
    if line.lstrip().startswith("#"):
        return ""
    text = LITERAL.sub('""', line)
    cut = text.find("//")
    return (text[:cut] if cut >= 0 else text).rstrip()


def indent_of(line):
    return len(line) - len(line.lstrip())


def signature_start(codes, i):
    """The line where the signature whose "{" ends line i starts, and the joined text.

    Walks back over parameter lists that span lines and over constructor initializer lists
    (lines starting with ':' or ',', or following a line that ends with ',')."""
    start = i
    text = codes[i].strip()
    while start > 0 and i - start < MAX_SIGNATURE_LINES:
        first = codes[start].strip()
        continued = codes[start - 1].rstrip().endswith(",") and first != ""
        if text.count("(") >= text.count(")") and not first.startswith((":", ",")) and \
                not continued:
            break
        start -= 1
        text = codes[start].strip() + " " + text
    return start, text


def is_function(lines, codes, start, text):
    """Whether the joined signature text opens a function (or a TEST_CASE) body."""
    if "(" not in text or not SIGNATURE_END.search(text) or CONTROL.match(lines[start]):
        return False
    if text.count("(") != text.count(")"):
        return False  # the "{" opens a lambda inside an argument or initializer list
    if "= [" in text or (text.startswith("[") and not text.startswith("[[")):
        return False  # a lambda: part of the function that holds it
    return " = " not in text.split("(")[0]


def body_end(lines, start, first):
    """Index of the "}" closing a body opened at line `first` and indented like line
    `start`, or None when a line indented less closes a block first (not a function)."""
    indent = indent_of(lines[start])
    closing = re.compile(r"^" + " " * indent + r"\};?\s*(//.*)?$")
    for end in range(first + 1, len(lines)):
        line = lines[end]
        if closing.match(line):
            return end
        if line.strip().startswith("}") and indent_of(line) < indent:
            return None
    return None


def functions(lines):
    """(first line index, last line index) of each function body."""
    codes = [code(line) for line in lines]
    found = []
    i = 0
    while i < len(lines):
        if not codes[i].endswith("{") or CONTROL.match(codes[i]):
            i += 1
            continue
        start, text = signature_start(codes, i)
        end = body_end(lines, start, i) if is_function(lines, codes, start, text) else None
        if end is None:
            i += 1
            continue
        found.append((start, end))
        i = end + 1
    return found


def check(path, listing):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        return [f"{path}:1: cannot read: {e}"]
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
        try:
            files = subprocess.check_output(["git", "ls-files", "*.cpp", "*.hpp"], text=True,
                                            stderr=subprocess.DEVNULL).split()
        except (OSError, subprocess.CalledProcessError):
            print("SKIP: not a git checkout (the file list comes from git ls-files)")
            return 77
    problems = []
    for path in files:
        problems += check(path, listing)
    for p in problems:
        print(p)
    print(f"layout: {len(files)} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
