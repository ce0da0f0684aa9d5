#include <catch2/catch.hpp>

#include "shell.hpp"

using namespace chipmunk::updater;

TEST_CASE("Shell: captures output and exit status with extra environment", "[updater][unit]") {
  auto r =
      runShell("echo \"$A-$B\"; exit 4", {{"A", "x"}, {"B", "y"}}, std::chrono::seconds(5), true);
  CHECK(r.started);
  CHECK(r.exitCode == 4);
  CHECK(r.output == "x-y\n");
  CHECK_FALSE(r.ok());
  r = runShell("true", {}, std::chrono::seconds(5), false);
  CHECK(r.ok());
}

TEST_CASE("Shell: a command that hangs is killed at the timeout", "[updater][unit]") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = runShell("sleep 30; echo late", {}, std::chrono::milliseconds(300), true);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(r.timedOut);
  CHECK_FALSE(r.ok());
  CHECK(r.output.empty());
}
