#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --version of both programs: "<program> <project VERSION>" and, in a git checkout, the
# checkout's `git describe` in parentheses; the top entry of CHANGELOG.md is that version;
# scripts/cmake/GitDescribe.cmake falls back to no description outside a git checkout,
# also inside somebody else's repository (a tarball unpacked in a packaging repo).
# Usage: version_test.sh VERSION SOURCE_DIR API_BIN|- UPDATER_BIN   (- : updater-only build)
set -euo pipefail
version="$1"
src="$2"
api_bin="$3"
updater_bin="$4"
. "$src/tests/deploy/lib.sh"

[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "project VERSION is not X.Y.Z: $version"
in_git=""
if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null || true)" = "$(realpath "$src")" ]; then
  in_git=1
fi

check_version() {
  local program="$1" bin="$2" out describe hash
  out="$("$bin" --version)" || fail "$program --version exited $?"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$program --version: more than one line: $out"
  [[ "$out" =~ ^$program\ ([^ ]+)(\ \(git\ ([A-Za-z0-9._+~-]+)\))?$ ]] ||
    fail "$program --version: unexpected form: $out"
  expect_eq "${BASH_REMATCH[1]}" "$version" "$program --version prints the project VERSION"
  describe="${BASH_REMATCH[3]}"
  if [ -n "$in_git" ]; then
    [ -n "$describe" ] || fail "$program --version: no git description in a git checkout: $out"
    # v0.1.0-3-gabc1234[-dirty] or abc1234[-dirty]: the commit must be one of this repository's.
    hash="${describe%-dirty}"
    [[ "$hash" =~ -g([0-9a-f]+)$ ]] && hash="${BASH_REMATCH[1]}"
    git -C "$src" rev-parse -q --verify "$hash^{commit}" >/dev/null ||
      fail "$program --version names $hash, not a commit of this checkout: $out"
    pass "$program --version names a commit of this checkout: $out"
  fi
}
[ "$api_bin" = - ] || check_version chipmunk-api "$api_bin"
check_version chipmunk-updater "$updater_bin"

deb_version="$(sed -n '1s/^chipmunk (\([^)]*\)).*/\1/p' "$src/debian/changelog")"
expect_eq "$deb_version" "$version" "debian/changelog's top entry is the project VERSION"

top="$(grep -m1 -E '^## ' "$src/CHANGELOG.md" || true)"
[[ "$top" =~ ^##\ \[?$version\]? ]] || fail "CHANGELOG.md's top entry is not $version: $top"
pass "CHANGELOG.md's top entry is $version"

describe_into() {  # SOURCE_DIR OUTPUT [DESCRIBE]
  cmake -DSOURCE_DIR="$1" -DOUTPUT="$2" -DDESCRIBE="${3:-}" \
    -P "$src/scripts/cmake/GitDescribe.cmake" || fail "GitDescribe.cmake failed for $1"
}
mkdir -p "$tmp/tarball"
describe_into "$tmp/tarball" "$tmp/plain.cpp"
grep -q 'return "";' "$tmp/plain.cpp" || fail "outside git: $(cat "$tmp/plain.cpp")"
pass "outside a git checkout the description is empty"
git init -q "$tmp/outer"
git -C "$tmp/outer" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m x
mkdir -p "$tmp/outer/chipmunk-$version"
describe_into "$tmp/outer/chipmunk-$version" "$tmp/nested.cpp"
grep -q 'return "";' "$tmp/nested.cpp" || fail "inside another repository: $(cat "$tmp/nested.cpp")"
pass "a source tree inside another repository does not take that repository's description"
describe_into "$tmp/tarball" "$tmp/given.cpp" 'debian/0.1.0-1 "x"'
grep -q 'return "debian_0.1.0-1__x_";' "$tmp/given.cpp" ||
  fail "-DDESCRIBE is not used, or not made a safe literal: $(cat "$tmp/given.cpp")"
pass "-DCHIPMUNK_GIT_DESCRIBE names the origin (as a safe string literal)"
touch -d '2000-01-01' "$tmp/given.cpp"
describe_into "$tmp/tarball" "$tmp/given.cpp" 'debian/0.1.0-1 "x"'
expect_eq "$(stat -c %Y "$tmp/given.cpp")" "$(date -d 2000-01-01 +%s)" \
  "an unchanged description leaves the source untouched (nothing recompiles)"
echo "version: $checks checks passed"
