// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <cstdlib>

#include "common/shell.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;

TEST_CASE("Shell: captures output and exit status with extra environment", "[config][unit]") {
  auto r =
      runShell("echo \"$A-$B\"; exit 4", {{"A", "x"}, {"B", "y"}}, std::chrono::seconds(5), true);
  CHECK(r.started);
  CHECK(r.exitCode == 4);
  CHECK(r.output == "x-y\n");
  CHECK_FALSE(r.ok());
  r = runShell("true", {}, std::chrono::seconds(5), false);
  CHECK(r.ok());
}

TEST_CASE("Shell: a command that hangs is killed at the timeout", "[config][unit]") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = runShell("sleep 30; echo late", {}, std::chrono::milliseconds(300), true);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(r.timedOut);
  CHECK_FALSE(r.ok());
  CHECK(r.output.empty());
}

TEST_CASE("Shell: the command sees the caller's CHIPMUNK_ variables, not inherited ones",
          "[config][unit]") {
  ::setenv("CHIPMUNK_STALE", "from-parent", 1);
  ::setenv("CHIPMUNK_EVENT", "parent-event", 1);
  ::setenv("SHELL_TEST_KEPT", "kept", 1);
  const auto r = runShell("echo \"${CHIPMUNK_STALE:-unset} $CHIPMUNK_EVENT $SHELL_TEST_KEPT\"; cat",
                          {{"CHIPMUNK_EVENT", "saved"}}, std::chrono::seconds(5), true);
  ::unsetenv("CHIPMUNK_STALE");
  ::unsetenv("CHIPMUNK_EVENT");
  ::unsetenv("SHELL_TEST_KEPT");
  CHECK(r.ok());
  // `cat` reads standard input: /dev/null, so it ends at once.
  CHECK(r.output == "unset saved kept\n");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
