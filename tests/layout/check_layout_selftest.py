#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs scripts/check-layout.py on files written to a temporary directory and checks its
exit status (1: a problem, 0: none) and the line it names.

Usage: check_layout_selftest.py path/to/check-layout.py
"""
import os
import subprocess
import sys
import tempfile


def body(n, indent="  "):
    return "".join(f"{indent}call({i});\n" for i in range(n))


CASES = [
    # name, text, expected exit status, line the report must name (or None)
    ("long.cpp", "// SPDX-License-Identifier: MIT\nvoid f() {\n" + body(100) + "}\n", 1, 2),
    ("short.cpp", "// SPDX-License-Identifier: MIT\nvoid f() {\n" + body(10) + "}\n", 0, None),
    ("excused.cpp", "// Long function: one table, read top to bottom\nvoid f() {\n" + body(100) +
     "}\n", 0, None),
    # A TEST_CASE whose signature spans lines and whose name holds a parenthesis.
    ("test_case.cpp", 'TEST_CASE("Unit: f( with an open parenthesis",\n          "[unit]") {\n' +
     body(90) + "}\n", 1, 1),
    # A member function in a class body.
    ("member.cpp", "class A {\n public:\n  void f() {\n" + body(90, "    ") + "  }\n};\n", 1, 3),
    # A closing brace with a comment after it.
    ("trailing.cpp", "void f() {\n" + body(90) + "}  // f\n", 1, 1),
    # A short constructor whose initializer list is on a line of its own, then short members:
    # measured as one function up to the next brace at the initializer's indentation before.
    ("constructor.cpp", "class A {\n public:\n  A(int a, int b)\n      : a_(a), b_(b) {\n"
     "    if (a) {\n      call(a);\n    }\n  }\n" +
     "".join(f"  void m{k}() {{\n" + body(20, "    ") + "  }\n" for k in range(6)) +
     "  void n() {\n    if (a_) {\n      while (b_) {\n        call(b_);\n      }\n    }\n  }\n" +
     " private:\n  int a_;\n  int b_;\n};\n", 0, None),
    # A constructor whose initializer holds a lambda, and a member after it.
    ("lambda_init.cpp", "class S {\n public:\n  S()\n      : s_([this](const R&) {\n"
     "          return r();\n        }) {}\n\n  void g() {\n" + body(10, "    ") + "  }\n};\n",
     0, None),
    ("long_file.cpp", "".join(f"void f{k}() {{\n" + body(3) + "}\n" for k in range(100)), 1, 1),
    ("long_file_excused.cpp", "// Long file: generated, one function per opcode\n" +
     "".join(f"void f{k}() {{\n" + body(3) + "}\n" for k in range(100)), 0, None),
]


def main(checker):
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, want, line in CASES:
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            run = subprocess.run([sys.executable, checker, path], capture_output=True, text=True)
            ok = run.returncode == want and (line is None or f"{path}:{line}:" in run.stdout)
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {run.returncode} (want {want})"
                  + (f", line {line}" if line else ""))
            if not ok:
                print(run.stdout + run.stderr)
                failures += 1
        missing = subprocess.run([sys.executable, checker, os.path.join(tmp, "absent.cpp")],
                                 capture_output=True, text=True)
        ok = missing.returncode == 1 and "cannot read" in missing.stdout
        print(f"{'ok  ' if ok else 'FAIL'} absent.cpp: exit {missing.returncode} (want 1)")
        failures += 0 if ok else 1
    print(f"check-layout selftest: {len(CASES) + 1 - failures}/{len(CASES) + 1} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
