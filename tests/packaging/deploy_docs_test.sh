#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks of docs/DEPLOY.md and docs/UPDATER.md against what ships, for the steps a newcomer
# walks (issue 18): the package file name of step 1, the web server installed before
# certbot needs port 80, nginx's default site left alone, the [Hosts] line for "my own
# chipmunk-api via dyndns2", and the systemd unit UPDATER.md shows against the shipped one.
# Usage: deploy_docs_test.sh SOURCE_DIR [API_BIN|- [UPDATER_BIN]]   (binaries: the step 5
#        example is also checked with --check-config)
set -euo pipefail
src="$1"
api_bin="${2:--}"
updater_bin="${3:-}"
. "$src/tests/deploy/lib.sh"
deploy="$src/docs/DEPLOY.md"
updater="$src/docs/UPDATER.md"

# The shell lines of a Markdown file's ```sh blocks.
sh_lines() { awk '/^```sh$/ {on=1; next} /^```/ {on=0} on' "$1"; }

# Step 1 installs the files scripts/build-deb.sh writes (the packages debian/control
# declares), without a version written in.
out_dir="$(sed -n 's|^out="\${1:-\$root/\([^}]*\)}"$|\1|p' "$src/scripts/build-deb.sh")"
[ -n "$out_dir" ] || fail "cannot read scripts/build-deb.sh's default output directory"
for p in chipmunk-api chipmunk-updater; do
  grep -qx "Package: $p" "$src/debian/control" || fail "debian/control declares no package $p"
  sh_lines "$deploy" | grep -qE "^apt-get install \./$out_dir/${p}_\*\.deb( |$)" ||
    fail "DEPLOY.md step 1 does not install ./$out_dir/${p}_*.deb"
done
pass "DEPLOY.md step 1 installs the packages scripts/build-deb.sh writes"
! grep -nE 'chipmunk(-api|-updater)?_[0-9]+\.[0-9]+\.[0-9]+' "$deploy" ||
  fail "DEPLOY.md names a package file with a version written in (above)"
pass "DEPLOY.md names no package version (it comes from CMakeLists.txt)"

# certbot --webroot needs a web server on port 80: it is installed first.
first_web="$(sh_lines "$deploy" | grep -n -m1 -E '^apt-get install (nginx|apache2)' | cut -d: -f1)"
first_certbot="$(sh_lines "$deploy" | grep -n -m1 -E '^certbot ' | cut -d: -f1)"
[ -n "$first_web" ] && [ -n "$first_certbot" ] || fail "DEPLOY.md: no web server or certbot step"
[ "$first_web" -lt "$first_certbot" ] ||
  fail "DEPLOY.md runs certbot (sh line $first_certbot) before installing a web server ($first_web)"
pass "DEPLOY.md installs the web server before certbot needs port 80"

# Debian's default sites are not removed as a matter of course.
! sh_lines "$deploy" | grep -nE '^(rm /etc/nginx/sites-enabled/default|a2dissite 000-default)' ||
  fail "DEPLOY.md removes the web server's default site unconditionally (above)"
pass "DEPLOY.md leaves the default site to the admin"

# nginx: the site is an http-level include and the redirect names the HTTPS port.
grep -q "http-level include" "$deploy" && grep -q "http-level include" "$src/vhost/nginx/chipmunk.conf" ||
  fail "DEPLOY.md or vhost/nginx/chipmunk.conf does not say the site is an http-level include"
grep -q 'return 301 https://\$host:443\$request_uri;' "$src/vhost/nginx/chipmunk.conf" ||
  fail "the nginx redirect does not name the HTTPS port"
pass "the nginx site says where it is included and its redirect names the HTTPS port"

# Step 5: publishing through one's own chipmunk-api needs [Hosts] on the server.
section5="$(awk '/^## 5\./ {on=1; next} /^## / {on=0} on' "$deploy")"
grep -q '^\[Hosts\]$' <<<"$section5" || fail "DEPLOY.md step 5 does not show the server's [Hosts] line"
grep -q '^provider = dyndns2$' <<<"$section5" || fail "DEPLOY.md step 5 shows no dyndns2 record"
pass "DEPLOY.md step 5 shows the [Hosts] line and the dyndns2 record it enables"
# Its two halves are valid files for the programs.
example="$(awk '/^```ini$/ {on=1; next} /^```/ {on=0} on' <<<"$section5")"
awk '/^; this machine/ {exit} 1' <<<"$example" >"$tmp/api.ini"
awk 'on; /^; this machine/ {on=1}' <<<"$example" >"$tmp/updater.ini"
if [ "$api_bin" != - ]; then
  mkdir -p "$tmp/data"
  printf '[Paths]\nclient_update_dir = %s\n[Users]\nalice = alice-secret\n' "$tmp/data" \
    >>"$tmp/api.ini"
  "$api_bin" --config "$tmp/api.ini" --check-config >"$tmp/check.txt" 2>&1 ||
    fail "DEPLOY.md step 5's server lines (with [Paths] and [Users] added): $(cat "$tmp/check.txt")"
  pass "DEPLOY.md step 5's [Hosts] line passes chipmunk-api --check-config"
fi
if [ -n "$updater_bin" ]; then
  "$updater_bin" --config "$tmp/updater.ini" --check-config >"$tmp/check.txt" 2>&1 ||
    fail "DEPLOY.md step 5's updater file: $(cat "$tmp/check.txt")"
  pass "DEPLOY.md step 5's updater file passes chipmunk-updater --check-config"
fi

# UPDATER.md's unit: every line it shows is in the shipped unit, which has no DynamicUser.
unit="$src/scripts/systemd/chipmunk-updater.service"
shown="$(awk '/^## Running under systemd/ {s=1} s && /^```ini$/ {on=1; next} on && /^```/ {exit} on' "$updater")"
[ -n "$shown" ] || fail "UPDATER.md shows no unit under 'Running under systemd'"
while IFS= read -r line; do
  [ -z "$line" ] && continue
  grep -qxF -- "$line" "$unit" || fail "UPDATER.md's unit line is not in the shipped unit: $line"
done <<<"$shown"
! grep -q DynamicUser "$unit" ||
  fail "the shipped unit uses DynamicUser=, whose user cannot read the packaged configuration"
pass "UPDATER.md's unit lines are the shipped unit's ($(grep -c . <<<"$shown") lines)"
echo "deploy docs: $checks checks passed"
