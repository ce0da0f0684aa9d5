#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages as the build configured them (BUILD_DIR/man: version and installed paths
# filled in): every expected page is there, groff -ww renders each without a warning, man
# renders it the way lintian checks it, and no @PLACEHOLDER@ is left.
# Usage: man_pages_test.sh MAN_DIR SOURCE_DIR PAGE...
set -euo pipefail
man_dir="$1"
src="$2"
shift 2
. "$src/tests/deploy/lib.sh"
command -v groff >/dev/null || fail "groff is not installed (package groff-base)"
command -v man >/dev/null || fail "man is not installed (package man-db)"

for page in "$@"; do
  f="$man_dir/$page"
  [ -f "$f" ] || fail "missing man page $f"
  ! grep -n '@[A-Z_]*@' "$f" || fail "$page: a placeholder was not filled in (above)"
  groff -ww -man -Tutf8 -z "$f" 2>"$tmp/groff.txt" || fail "$page: groff failed: $(cat "$tmp/groff.txt")"
  [ ! -s "$tmp/groff.txt" ] || fail "$page: groff -ww warned: $(cat "$tmp/groff.txt")"
  # lintian's check (manpage-has-errors-from-man).
  LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" \
    >"$tmp/man.out" 2>"$tmp/man.txt" || fail "$page: man failed: $(cat "$tmp/man.txt")"
  [ ! -s "$tmp/man.txt" ] || fail "$page: man --warnings: $(cat "$tmp/man.txt")"
  title="$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\) .*/\1(\2)/p' "$f" | sed 's/\\-/-/g')"
  expect_eq "$title" "$(tr '[:lower:]' '[:upper:]' <<<"${page%.*}")(${page##*.})" \
    "$page renders without warnings; its .TH names it"
done
echo "man pages: $checks checks passed"
