#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian packages chipmunk-api and chipmunk-updater (debian/, scripts/build-deb.sh):
# lintian, their control fields, each installed alone (the updater's must not pull
# Pistache), each program run as its system user (the API on a free loopback port, the
# updater --once against it), an upgrade to the same packages with a bumped version
# (configuration edits, state, permissions and enablement kept; the maintainer script
# restarts a running unit), remove (configuration and enablement kept) and purge
# (configuration, overrides, enablement and logs gone; the users' stored records kept).
#
# THIS CHANGES THE MACHINE (installs and removes packages; the system users chipmunk and
# chipmunk-updater stay, as Debian packages leave them): CI runs it as a step of its own,
# never from ctest. It refuses to run when a chipmunk package is already installed.
# Usage: tests/deploy/deb_install_test.sh     (builds with scripts/build-deb.sh)
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
. "$src/tests/deploy/lib.sh"
[ "$(id -u)" -eq 0 ] || fail "must run as root (dpkg -i)"
for p in chipmunk chipmunk-api chipmunk-updater; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    fail "the package $p is already installed; not touching it"
  fi
done
for d in /var/lib/chipmunk /var/lib/chipmunk-updater /etc/chipmunk; do
  [ ! -e "$d" ] || fail "$d exists (left by an earlier installation?); not touching it"
done
command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh --tests)"

version="$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)"
mapfile -t v1 < <("$src/scripts/build-deb.sh" "$tmp/v1")
# The upgrade's packages: the same ones with the version bumped in their control files
# (dpkg-deb -R, then -b), what a rebuild with a bumped debian/changelog would give, without
# building again.
mkdir -p "$tmp/v2"
for d in "${v1[@]}"; do
  rm -rf "$tmp/repack"
  dpkg-deb -R "$d" "$tmp/repack"
  sed -i "s/^Version: .*/Version: $version+upgradetest1/" "$tmp/repack/DEBIAN/control"
  name="$(basename "$d")"
  dpkg-deb -b -Zxz "$tmp/repack" "$tmp/v2/${name/_${version}_/_${version}+upgradetest1_}" >/dev/null
done
deb() { # DIR PACKAGE
  local f
  f="$(ls "$1"/"$2"_*.deb)"
  [ -f "$f" ] || fail "no $2 package in $1"
  echo "$f"
}
api_deb="$(deb "$tmp/v1" chipmunk-api)"
updater_deb="$(deb "$tmp/v1" chipmunk-updater)"
echo "# packages: ${v1[*]}"
ls -l "$api_deb" "$updater_deb" | awk '{print "# " $5 " bytes " $NF}'

extra_cleanup() {
  dpkg -P chipmunk-api chipmunk-updater >/dev/null 2>&1 || true
}

# ---- lintian, with the overrides in debian/*.lintian-overrides (each says why).
if ! lintian --fail-on error,warning --display-level '>=info' "$api_deb" "$updater_deb" \
  >"$tmp/lintian.txt" 2>&1; then
  fail "lintian: $(cat "$tmp/lintian.txt")"
fi
sed 's/^/# lintian: /' "$tmp/lintian.txt"
pass "lintian reports no error and no warning ($(grep -c . "$tmp/lintian.txt" || true) info lines)"

# ---- control fields.
for d in "$api_deb" "$updater_deb"; do
  p="$(dpkg-deb -f "$d" Package)"
  depends="$(dpkg-deb -f "$d" Depends)"
  recommends="$(dpkg-deb -f "$d" Recommends)"
  echo "# $p Depends: $depends"
  echo "# $p Recommends: $recommends"
  for lib in libinih adduser; do
    grep -q "$lib" <<<"$depends" || fail "$p: Depends lacks $lib: $depends"
  done
  # spdlog and fmt are compiled in; libcurl and libldns are dlopen()ed when a configuration
  # needs them (a clear error names them otherwise): Recommends, not Depends.
  for lib in libspdlog libfmt libcurl libldns; do
    ! grep -q "$lib" <<<"$depends" || fail "$p: Depends names $lib: $depends"
  done
  for lib in libcurl4 libldns3; do
    grep -q "$lib" <<<"$recommends" || fail "$p: Recommends lacks $lib: $recommends"
  done
  dpkg-deb -I "$d" conffiles >"$tmp/conffiles"
  for f in "/etc/chipmunk/$p.ini" "/etc/logrotate.d/$p"; do
    grep -qx "$f" "$tmp/conffiles" || fail "$p: $f is not a conffile: $(cat "$tmp/conffiles")"
  done
  pass "$p: Depends from dpkg-shlibdeps plus adduser, dlopen()ed libraries in Recommends, conffiles"
done
grep -q libpistache <<<"$(dpkg-deb -f "$api_deb" Depends)" || fail "chipmunk-api does not depend on Pistache"
! grep -q libpistache <<<"$(dpkg-deb -f "$updater_deb" Depends)" ||
  fail "chipmunk-updater depends on Pistache"
# regex = runs PCRE2 (match and heap limits; std::regex overflowed the stack): linked.
grep -q libpcre2-8 <<<"$(dpkg-deb -f "$updater_deb" Depends)" ||
  fail "chipmunk-updater does not depend on libpcre2-8"

pass "chipmunk-api depends on Pistache, chipmunk-updater does not"

install_pkg() { # DEB...
  dpkg -i "$@" >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -i $*: $(cat "$tmp/dpkg.txt")"
}
check_installed() { # PACKAGE USER STATE_DIR
  local p="$1" user="$2" state="$3"
  expect_eq "$(dpkg-query -W -f='${Status}' "$p")" "install ok installed" "dpkg -i installs $p alone"
  for f in "/usr/bin/$p" "/lib/systemd/system/$p.service" "/usr/share/man/man8/$p.8.gz" \
    "/usr/share/man/man5/$p.ini.5.gz" "/usr/share/doc/$p/copyright" "/usr/share/doc/$p/changelog.gz"; do
    [ -e "$f" ] || fail "$p: missing after install: $f"
  done
  pass "$p: program, unit, man pages, copyright and changelog are installed"
  grep -qx "ExecStart=/usr/bin/$p --config /etc/chipmunk/$p.ini" "/lib/systemd/system/$p.service" ||
    fail "$p: the installed unit has other paths"
  systemd-analyze verify "/lib/systemd/system/$p.service" >"$tmp/verify.txt" 2>&1 ||
    fail "$p: systemd-analyze verify: $(cat "$tmp/verify.txt")"
  [ ! -s "$tmp/verify.txt" ] || fail "$p: systemd-analyze verify warned: $(cat "$tmp/verify.txt")"
  pass "$p: systemd-analyze verify accepts the installed unit"
  for page in "/usr/share/man/man8/$p.8.gz" "/usr/share/man/man5/$p.ini.5.gz"; do
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" >/dev/null 2>"$tmp/man.txt" ||
      fail "$page: man failed"
    [ ! -s "$tmp/man.txt" ] || fail "$page: man --warnings: $(cat "$tmp/man.txt")"
  done
  pass "$p: man renders the installed pages without warnings"
  getent passwd "$user" >/dev/null || fail "$p: postinst did not create the user $user"
  expect_eq "$(stat -c '%U:%G %a' "/etc/chipmunk/$p.ini")" "root:$user 640" "$p.ini is root:$user 0640"
  expect_eq "$(stat -c '%U:%G %a' "$state")" "$user:$user 750" "$state exists, owned by $user"
  setpriv --reuid="$user" --regid="$user" --init-groups "/usr/bin/$p" --config "/etc/chipmunk/$p.ini" \
    --check-config >"$tmp/check.txt" 2>&1 ||
    fail "$p: the packaged configuration fails --check-config as $user: $(cat "$tmp/check.txt")"
  pass "$p: the packaged configuration passes --check-config as $user right after installation"
  if setpriv --reuid=nobody --regid=nogroup --clear-groups cat "/etc/chipmunk/$p.ini" >/dev/null 2>&1; then
    fail "other users can read $p.ini"
  fi
  pass "$p: only root and $user read the configuration"
  expect_eq "$(stat -c '%U:%G %a' "/etc/chipmunk/credentials/${p#chipmunk-}")" "root:root 700" \
    "the unit's LoadCredential= directory of $p exists, root's 0700"
  "/usr/bin/$p" --version | grep -q "^$p $(sed -n 's/^project(chipmunk VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ||
    fail "$p --version: $("/usr/bin/$p" --version)"
}

# ---- chipmunk-updater alone: it must not need chipmunk-api or Pistache.
install_pkg "$updater_deb"
check_installed chipmunk-updater chipmunk-updater /var/lib/chipmunk-updater
[ ! -e /usr/bin/chipmunk-api ] || fail "installing chipmunk-updater installed chipmunk-api"
dpkg -P chipmunk-updater >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -P chipmunk-updater: $(cat "$tmp/dpkg.txt")"
pass "chipmunk-updater installs and purges on its own"

# ---- chipmunk-api alone, run as its system user.
install_pkg "$api_deb"
check_installed chipmunk-api chipmunk /var/lib/chipmunk
[ ! -e /usr/bin/chipmunk-updater ] || fail "installing chipmunk-api installed chipmunk-updater"
mkdir -p "$tmp/run"
cfg="$(api_config "$tmp/run" "trusted_proxies =")"
chown -R chipmunk:chipmunk "$tmp/run"
api_runner=(setpriv --reuid=chipmunk --regid=chipmunk --init-groups)
start_api /usr/bin/chipmunk-api "$cfg" "$tmp/run/api.log"
api_runner=()
expect_eq "$(ps -o user= -p "$api_pid" | tr -d ' ')" chipmunk "the server runs as chipmunk"
c=(curl -sS --max-time 10 -u alice:alice-secret)
expect_eq "$("${c[@]}" "http://127.0.0.1:$api_port/get/ip")" "Your IP:  127.0.0.1" \
  "installed chipmunk-api answers /get/ip"

# ---- both: the installed updater, as its user, once against the installed server.
install_pkg "$updater_deb"
mkdir -p "$tmp/updater"
cat >"$tmp/updater/updater.ini" <<INI
[Global]
update_dns = no
allow_private = yes
state_dir = $tmp/updater/state
[ChipmunkAPIServer]
endpoint = http://127.0.0.1:$api_port
username = alice
password = alice-secret
method = set
INI
chown -R chipmunk-updater:chipmunk-updater "$tmp/updater"
setpriv --reuid=chipmunk-updater --regid=chipmunk-updater --init-groups /usr/bin/chipmunk-updater \
  --config "$tmp/updater/updater.ini" --once >"$tmp/once.txt" 2>&1 ||
  fail "chipmunk-updater --once against chipmunk-api: $(cat "$tmp/once.txt")"
expect_eq "$(cat "$tmp/run/data/alice.cm")" "127.0.0.1" \
  "the installed updater (method = set) stored its address in the installed server"
stop_started

# ---- upgrade: the same packages with a bumped version.
echo "; edited by the admin" >>/etc/chipmunk/chipmunk-api.ini
echo "127.0.0.9" >/var/lib/chipmunk/bob.cm
chown chipmunk:chipmunk /var/lib/chipmunk/bob.cm
# The admin enables both units (systemctl works on the unit files without a running systemd).
systemctl enable chipmunk-api.service chipmunk-updater.service >"$tmp/enable.txt" 2>&1 ||
  fail "systemctl enable: $(cat "$tmp/enable.txt")"
wants=/etc/systemd/system/multi-user.target.wants
[ -L "$wants/chipmunk-api.service" ] || fail "systemctl enable made no symlink"
install_pkg "$(deb "$tmp/v2" chipmunk-api)" "$(deb "$tmp/v2" chipmunk-updater)"
expect_eq "$(dpkg-query -W -f='${Version}' chipmunk-api)" "$version+upgradetest1" "the upgrade installed"
grep -qx "; edited by the admin" /etc/chipmunk/chipmunk-api.ini || fail "the upgrade lost the admin's edit"
[ ! -e /etc/chipmunk/chipmunk-api.ini.dpkg-new ] && [ ! -e /etc/chipmunk/chipmunk-api.ini.dpkg-dist ] ||
  fail "the upgrade left a .dpkg-new/.dpkg-dist beside an unchanged conffile"
expect_eq "$(cat /var/lib/chipmunk/bob.cm)" "127.0.0.9" "the upgrade keeps the stored records"
expect_eq "$(stat -c '%U:%G %a' /etc/chipmunk/chipmunk-api.ini)" "root:chipmunk 640" \
  "the upgrade keeps the configuration's permissions"
[ -L "$wants/chipmunk-api.service" ] && [ -L "$wants/chipmunk-updater.service" ] ||
  fail "the upgrade lost the units' enablement"
pass "the upgrade keeps configuration edits, records, permissions and enablement"
# A running unit is restarted on upgrade (under systemd; this machine kind may have none).
for p in chipmunk-api chipmunk-updater; do
  grep -q "_dh_action=restart" "/var/lib/dpkg/info/$p.postinst" ||
    fail "$p.postinst does not restart the unit on upgrade"
  # prerm stops the unit on remove only (an upgrade restarts it in postinst instead).
  grep -B1 "deb-systemd-invoke stop" "/var/lib/dpkg/info/$p.prerm" | head -n 1 |
    grep -q '"$1" = remove' || fail "$p.prerm stops the unit on upgrade too (it should only on remove)"
done
pass "postinst restarts a running unit on upgrade (deb-systemd-invoke restart)"

# ---- remove keeps the configuration and the enablement; purge forgets both.
dpkg -r chipmunk-api chipmunk-updater >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -r: $(cat "$tmp/dpkg.txt")"
[ ! -e /usr/bin/chipmunk-api ] && [ ! -e /usr/bin/chipmunk-updater ] || fail "dpkg -r left a program"
[ -f /etc/chipmunk/chipmunk-api.ini ] && [ -f /etc/chipmunk/chipmunk-updater.ini ] ||
  fail "dpkg -r removed a configuration"
[ -L "$wants/chipmunk-api.service" ] || fail "dpkg -r forgot the enablement"
pass "dpkg -r removes the programs and keeps the configuration and the enablement"
mkdir -p /var/log/chipmunk && echo x >/var/log/chipmunk/chipmunk-api.log
dpkg -P chipmunk-api chipmunk-updater >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -P: $(cat "$tmp/dpkg.txt")"
[ ! -e /etc/chipmunk/chipmunk-api.ini ] && [ ! -e /etc/chipmunk/chipmunk-updater.ini ] ||
  fail "dpkg -P left a configuration"
! dpkg-statoverride --list /etc/chipmunk/chipmunk-api.ini >/dev/null || fail "dpkg -P left the stat override"
[ ! -e "$wants/chipmunk-api.service" ] && [ ! -e "$wants/chipmunk-updater.service" ] ||
  fail "dpkg -P left the enablement"
[ ! -e /var/log/chipmunk ] || fail "dpkg -P left the logs"
[ ! -e /etc/chipmunk/credentials ] || fail "dpkg -P left the empty credentials directories"
expect_eq "$(cat /var/lib/chipmunk/bob.cm)" "127.0.0.9" "dpkg -P keeps the users' stored records"
pass "dpkg -P removes configuration, stat overrides, enablement and logs"
rm -rf /var/lib/chipmunk /var/lib/chipmunk-updater
echo "deb install: $checks checks passed"
