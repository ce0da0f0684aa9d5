# SPDX-License-Identifier: MIT
# Sourced by build.sh (build/) and test-updater-only.sh with $root set to the tree: the
# CMake arguments of the optimized build. Not executable.
# Debian's own flags (dpkg-buildflags, with hardening=+all as debian/rules asks), the very
# command line the packages are compiled with (dh's CMake: build type None, CPPFLAGS after
# CXXFLAGS): the suite tests the code as it ships, and ccache serves the package build
# (scripts/build-deb.sh) from this one (README, "CI"). Without dpkg-buildflags (not Debian):
# CMake's RelWithDebInfo.
release_flags=()
if command -v dpkg-buildflags >/dev/null; then
  release_flags=(-DCMAKE_BUILD_TYPE=None)
  # -ffile-prefix-map names the tree: taken from it, as dpkg-buildpackage does from its copy.
  while IFS= read -r line; do
    release_flags+=("$line")
  done < <(cd "$root" && export DEB_BUILD_MAINT_OPTIONS=hardening=+all &&
    echo "-DCMAKE_CXX_FLAGS=$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" &&
    echo "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)")
else
  release_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
