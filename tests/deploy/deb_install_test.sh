#!/usr/bin/env bash
# Installs the Debian package with dpkg -i, runs the installed /usr/bin/chipmunk-api as the
# package's system user on a free loopback port with a temporary configuration, checks it
# answers, and removes and purges the package again.
#
# THIS CHANGES THE MACHINE (installs and removes a package; the system users chipmunk and
# chipmunk-updater stay, as Debian packages leave them): CI runs it as a step of its own,
# never from ctest. It refuses to run when a chipmunk package is already installed.
# Usage: tests/deploy/deb_install_test.sh [PACKAGE.deb]   (default: scripts/build-deb.sh)
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
. "$src/tests/deploy/lib.sh"
[ "$(id -u)" -eq 0 ] || fail "must run as root (dpkg -i)"
if dpkg-query -W -f='${Status}' chipmunk 2>/dev/null | grep -q "ok installed"; then
  fail "a chipmunk package is already installed; not touching it"
fi
deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$("$src/scripts/build-deb.sh" | tail -n 1)"
fi
[ -f "$deb" ] || fail "no package at $deb"

installed=""
extra_cleanup() {
  if [ -n "$installed" ]; then
    dpkg -P chipmunk >/dev/null 2>&1 || true
  fi
}

# The package as built.
expect_eq "$(dpkg-deb -f "$deb" Package)" chipmunk "package name"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "# Depends: $depends"
# libcurl4 and libldns3 are loaded with dlopen() and named by hand; spdlog and fmt are
# compiled in (config/spdlog_impl.cpp), so the package must not pull them.
for lib in libpistache libcurl4 libldns3 libssl libinih libpcre2-8 adduser; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
for lib in libspdlog libfmt; do
  ! grep -q "$lib" <<<"$depends" || fail "Depends names $lib, which is compiled in: $depends"
done
pass "Depends lists the shared libraries (dpkg-shlibdeps), the dlopen()ed ones and adduser"
dpkg-deb -I "$deb" conffiles >"$tmp/conffiles"
for f in /etc/chipmunk/chipmunk-api.ini /etc/chipmunk/chipmunk-updater.ini \
  /etc/logrotate.d/chipmunk-api /etc/logrotate.d/chipmunk-updater; do
  grep -qx "$f" "$tmp/conffiles" || fail "$f is not a conffile: $(cat "$tmp/conffiles")"
done
pass "everything under /etc is a conffile"

installed=1
dpkg -i "$deb" >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -i failed: $(cat "$tmp/dpkg.txt")"
expect_eq "$(dpkg-query -W -f='${Status}' chipmunk)" "install ok installed" "dpkg -i installs the package"
for f in /usr/bin/chipmunk-api /usr/bin/chipmunk-updater /usr/lib/systemd/system/chipmunk-api.service \
  /usr/lib/systemd/system/chipmunk-updater.service /usr/share/doc/chipmunk/DEPLOY.md \
  /usr/share/doc/chipmunk/vhost/nginx/chipmunk.conf; do
  [ -e "$f" ] || fail "missing after install: $f"
done
pass "programs, units and docs are installed"
grep -qx 'ExecStart=/usr/bin/chipmunk-api --config /etc/chipmunk/chipmunk-api.ini' \
  /usr/lib/systemd/system/chipmunk-api.service || fail "the installed unit has other paths"
pass "the installed unit runs /usr/bin/chipmunk-api with /etc/chipmunk/chipmunk-api.ini"
systemd-analyze verify /usr/lib/systemd/system/chipmunk-api.service \
  /usr/lib/systemd/system/chipmunk-updater.service >"$tmp/verify.txt" 2>&1 ||
  fail "systemd-analyze verify: $(cat "$tmp/verify.txt")"
[ ! -s "$tmp/verify.txt" ] || fail "systemd-analyze verify warned: $(cat "$tmp/verify.txt")"
pass "systemd-analyze verify accepts the installed units"
getent passwd chipmunk >/dev/null && getent passwd chipmunk-updater >/dev/null ||
  fail "postinst did not create the system users"
pass "postinst created the users chipmunk and chipmunk-updater"
expect_eq "$(stat -c '%U:%G %a' /etc/chipmunk/chipmunk-api.ini)" "root:chipmunk 640" \
  "chipmunk-api.ini is root:chipmunk 0640"
expect_eq "$(stat -c '%U:%G %a' /etc/chipmunk/chipmunk-updater.ini)" "root:chipmunk-updater 640" \
  "chipmunk-updater.ini is root:chipmunk-updater 0640"
setpriv --reuid=chipmunk --regid=chipmunk --init-groups cat /etc/chipmunk/chipmunk-api.ini >/dev/null ||
  fail "the chipmunk user cannot read its configuration"
if setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/chipmunk/chipmunk-api.ini \
  >/dev/null 2>&1; then
  fail "other users can read chipmunk-api.ini"
fi
pass "only root and the service user read the configuration"
/usr/bin/chipmunk-api --version | grep -q '^chipmunk-api ' || fail "chipmunk-api --version"
/usr/bin/chipmunk-updater --config /etc/chipmunk/chipmunk-updater.ini --check-config >/dev/null ||
  fail "the installed updater configuration does not pass --check-config"
pass "the installed programs run; the updater's sample configuration is valid"

# The installed server, as its system user, on a free port.
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
expect_eq "$("${c[@]}" "http://127.0.0.1:$api_port/set")" \
  '{"Client_IP": "127.0.0.1", "status": "saved"}' "installed chipmunk-api stores with /set"
expect_eq "$(stat -c %U "$tmp/run/data/alice.cm")" chipmunk "the record belongs to chipmunk"
stop_started

# Remove keeps the conffiles, purge removes them and the permission overrides.
dpkg -r chipmunk >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -r failed: $(cat "$tmp/dpkg.txt")"
[ ! -e /usr/bin/chipmunk-api ] || fail "dpkg -r left /usr/bin/chipmunk-api"
[ -f /etc/chipmunk/chipmunk-api.ini ] || fail "dpkg -r removed a conffile"
pass "dpkg -r removes the programs and keeps the configuration"
dpkg -P chipmunk >"$tmp/dpkg.txt" 2>&1 || fail "dpkg -P failed: $(cat "$tmp/dpkg.txt")"
installed=""
[ ! -e /etc/chipmunk/chipmunk-api.ini ] || fail "dpkg -P left the configuration"
! dpkg-statoverride --list /etc/chipmunk/chipmunk-api.ini >/dev/null ||
  fail "dpkg -P left the stat override"
pass "dpkg -P removes the configuration and the stat overrides"
echo "deb install: $checks checks passed"
