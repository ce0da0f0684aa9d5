#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cmake --install` into a temporary DESTDIR: the FHS layout, the configured systemd units
# (systemd-analyze verify and an offline security review against that root), and the
# installed configuration samples (--check-config with the installed binaries).
# Usage: install_layout_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
. "$src/tests/deploy/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (package systemd)"

prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")"
[ -n "$prefix" ] || fail "no CMAKE_INSTALL_PREFIX in $build/CMakeCache.txt"
sysconf=/etc
[ "$prefix" = /usr ] || sysconf="$prefix/etc"
root="$tmp/root"
DESTDIR="$root" cmake --install "$build" >"$tmp/install.txt" 2>&1 ||
  fail "cmake --install failed: $(tail -n 20 "$tmp/install.txt")"
pass "cmake --install into DESTDIR (prefix $prefix)"

for f in "$prefix/bin/chipmunk-api" "$prefix/bin/chipmunk-updater"; do
  [ -x "$root$f" ] || fail "missing executable $f"
done
for f in "$sysconf/chipmunk/chipmunk-api.ini" "$sysconf/chipmunk/chipmunk-updater.ini" \
  "$sysconf/logrotate.d/chipmunk-api" "$sysconf/logrotate.d/chipmunk-updater" \
  "$prefix/lib/systemd/system/chipmunk-api.service" \
  "$prefix/lib/systemd/system/chipmunk-updater.service" "$prefix/lib/sysusers.d/chipmunk.conf" \
  "$prefix/share/doc/chipmunk/README.md" "$prefix/share/doc/chipmunk/DEPLOY.md" \
  "$prefix/share/doc/chipmunk/CONFIG.md" "$prefix/share/doc/chipmunk/vhost/nginx/chipmunk.conf" \
  "$prefix/share/doc/chipmunk/vhost/apache/chipmunk.conf" \
  "$prefix/share/doc/chipmunk/vhost/chipmunk.vhost.sample" \
  "$prefix/share/man/man8/chipmunk-api.8" "$prefix/share/man/man8/chipmunk-updater.8" \
  "$prefix/share/man/man5/chipmunk-api.ini.5" "$prefix/share/man/man5/chipmunk-updater.ini.5"; do
  [ -f "$root$f" ] || fail "missing $f"
done
pass "binaries, configurations, logrotate files, units, sysusers.d, docs and man pages are installed"
grep -q "^\.I $sysconf/chipmunk/chipmunk-api.ini\$" "$root$prefix/share/man/man5/chipmunk-api.ini.5" ||
  fail "the installed chipmunk-api.ini(5) does not name the installed configuration"
pass "the installed man pages name the installed configuration paths"
for f in chipmunk-api.ini chipmunk-updater.ini; do
  expect_eq "$(stat -c %a "$root$sysconf/chipmunk/$f")" 640 "$f is not world-readable"
done
unit="$root$prefix/lib/systemd/system/chipmunk-api.service"
grep -qx "ExecStart=$prefix/bin/chipmunk-api --config $sysconf/chipmunk/chipmunk-api.ini" "$unit" ||
  fail "the installed unit does not start the installed binary: $(grep ExecStart= "$unit")"
pass "the installed units name the installed binary and configuration"

# systemd-analyze needs the standard targets and slices in the root, and the programs the
# units run (ExecReload's /bin/kill).
mkdir -p "$root/usr/lib/systemd/system" "$root/bin"
cp -a /lib/systemd/system/*.target /lib/systemd/system/*.slice "$root/usr/lib/systemd/system/"
cp /bin/kill "$root/bin/kill"
units=(chipmunk-api.service chipmunk-updater.service)
verify() {
  systemd-analyze verify --root="$root" "${units[@]}" >"$tmp/verify.txt" 2>&1
}
verify || fail "systemd-analyze verify: $(cat "$tmp/verify.txt")"
[ ! -s "$tmp/verify.txt" ] || fail "systemd-analyze verify warned: $(cat "$tmp/verify.txt")"
pass "systemd-analyze verify accepts both units without a warning"
for u in "${units[@]}"; do
  systemd-analyze security --root="$root" --offline=true --threshold=25 "$u" >"$tmp/security.txt" 2>&1 ||
    fail "$u: exposure above 2.5: $(tail -n 3 "$tmp/security.txt")"
  pass "$u: $(grep -o 'Overall exposure level.*' "$tmp/security.txt")"
done
# The check sees what it should: without the binary, verify fails.
mv "$root$prefix/bin/chipmunk-api" "$tmp/api.moved"
if verify; then
  fail "systemd-analyze verify passed with ExecStart's binary missing"
fi
mv "$tmp/api.moved" "$root$prefix/bin/chipmunk-api"
pass "verify fails when ExecStart's binary is missing"

# The installed configuration samples are valid for the installed binaries (the API's
# state directory exists once systemd created it; here a temp dir stands in).
mkdir -p "$tmp/state"
sed "s|^client_update_dir = .*|client_update_dir = $tmp/state|" \
  "$root$sysconf/chipmunk/chipmunk-api.ini" >"$tmp/api.ini"
"$root$prefix/bin/chipmunk-api" --config "$tmp/api.ini" --check-config >"$tmp/check.txt" 2>&1 ||
  fail "installed chipmunk-api.ini: $(cat "$tmp/check.txt")"
pass "the installed chipmunk-api.ini passes --check-config"
"$root$prefix/bin/chipmunk-updater" --config "$root$sysconf/chipmunk/chipmunk-updater.ini" \
  --check-config >"$tmp/check.txt" 2>&1 || fail "installed chipmunk-updater.ini: $(cat "$tmp/check.txt")"
pass "the installed chipmunk-updater.ini passes --check-config"

# The token as the shipped unit's LoadCredential= line hands it over: every file of
# <sysconf>/chipmunk/credentials/updater becomes $CREDENTIALS_DIRECTORY/updater_<name>;
# systemd's copy is 0400 (0440 with an ACL mask).
unit="$root$prefix/lib/systemd/system/chipmunk-updater.service"
grep -qx "LoadCredential=updater:$sysconf/chipmunk/credentials/updater" "$unit" ||
  fail "the updater unit does not load its credentials directory: $(grep LoadCredential "$unit")"
for p in api updater; do
  [ "$(stat -c %a "$root$sysconf/chipmunk/credentials/$p" 2>/dev/null)" = 700 ] ||
    fail "the credentials directory of $p is not installed 0700"
done
pass "the units load <sysconf>/chipmunk/credentials/{api,updater}, installed 0700"
grep -qx 'Type=notify' "$unit" || fail "the updater unit is not Type=notify"
mkdir -p "$tmp/upd/updater.d" "$tmp/credentials"
cp "$root$sysconf/chipmunk/chipmunk-updater.ini" "$tmp/upd/"
printf '[linode]\napi_key_file = $CREDENTIALS_DIRECTORY/updater_linode_token\n' \
  >"$tmp/upd/updater.d/10-credentials.ini"
printf 'the-token\n' >"$tmp/credentials/updater_linode_token"
chmod 0440 "$tmp/credentials/updater_linode_token"
CREDENTIALS_DIRECTORY="$tmp/credentials" "$root$prefix/bin/chipmunk-updater" \
  --config "$tmp/upd/chipmunk-updater.ini" --check-config >"$tmp/check.txt" 2>&1 ||
  fail "the credential from a drop-in: $(cat "$tmp/check.txt")"
pass "a drop-in reads the token from \$CREDENTIALS_DIRECTORY (the unit's LoadCredential= example)"
chmod 0444 "$tmp/credentials/updater_linode_token"
if CREDENTIALS_DIRECTORY="$tmp/credentials" "$root$prefix/bin/chipmunk-updater" \
  --config "$tmp/upd/chipmunk-updater.ini" --check-config >"$tmp/check.txt" 2>&1; then
  fail "a world-readable credential passed --check-config"
fi
grep -q "^$tmp/upd/updater.d/10-credentials.ini:2: \[linode\] api_key_file: .*mode 0444" \
  "$tmp/check.txt" || fail "the refusal does not name the drop-in's line: $(cat "$tmp/check.txt")"
pass "a world-readable credential is refused with the drop-in's file:line"
echo "install layout: $checks checks passed"
