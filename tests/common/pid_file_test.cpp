// SPDX-License-Identifier: MIT
// The pid file shared by chipmunk-api ([Paths] pid_file) and chipmunk-updater ([Daemon]
// pidfile): a live holder is refused, a stale or garbage file is replaced, and only one's
// own file is removed.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>

#include "common/pid_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::test;

TEST_CASE("PidFile: written with this pid and removed on release", "[config][pidfile]") {
  TempDir dir;
  const std::string path = dir.file("app.pid");
  std::string error;
  REQUIRE(claimPidFile(path, error));
  CHECK(readFile(path) == std::to_string(::getpid()) + "\n");
  CHECK(claimPidFile(path, error));  // one's own file is claimed again
  releasePidFile(path);
  CHECK_FALSE(fileExists(path));
}

TEST_CASE("PidFile: a live holder is refused and its file left alone", "[config][pidfile]") {
  TempDir dir;
  const std::string path = dir.file("app.pid");
  const std::string other = std::to_string(::getppid()) + "\n";  // alive: it runs us
  writeFile(path, other);
  std::string error;
  CHECK_FALSE(claimPidFile(path, error));
  CHECK(error.find("pid " + std::to_string(::getppid())) != std::string::npos);
  CHECK(readFile(path) == other);
  releasePidFile(path);  // not ours: stays
  CHECK(readFile(path) == other);
}

TEST_CASE("PidFile: a stale or garbage file is replaced", "[config][pidfile]") {
  TempDir dir;
  const std::string path = dir.file("app.pid");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);  // reaped: its pid names nobody now
  for (const std::string& stale : {std::to_string(child) + "\n", std::string("garbage\n"),
                                   std::string(""), std::string("-5\n")}) {
    INFO(stale);
    writeFile(path, stale);
    std::string error;
    CHECK(claimPidFile(path, error));
    CHECK(readFile(path) == std::to_string(::getpid()) + "\n");
  }
  std::string error;
  CHECK_FALSE(claimPidFile(dir.file("missing-dir/app.pid"), error));
  CHECK_FALSE(error.empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
