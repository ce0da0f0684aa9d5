// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "common/pattern.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;

TEST_CASE("Unit: patterns take the first group, or the whole match", "[config][unit]") {
  std::string error;
  CHECK(firstMatch("Your IP:  1.2.3.4", "IP:\\s+(\\S+)", error) == "1.2.3.4");
  CHECK(firstMatch("addr 1.2.3.4 and 5.6.7.8", "[0-9.]+", error) == "1.2.3.4");
  CHECK(firstMatch("x", "(y)?x", error) == "");
  CHECK_FALSE(firstMatch("nothing", "(\\d+\\.\\d+)", error));
  CHECK(error.empty());
  CHECK(checkPattern("Address: ([0-9.]+)", error));
  CHECK_FALSE(checkPattern("(", error));
  CHECK(error.find("offset 1") != std::string::npos);
  CHECK_FALSE(firstMatch("x", "(", error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("Unit: a pattern over a 64 KiB text does not overflow the stack", "[config][unit]") {
  std::string error;
  // The docs/UPDATER.md example over a 30,000-character match: std::regex recursed once per
  // character and crashed here.
  const std::string reply = "Address: " + std::string(30000, '1') + "\n";
  const auto m = firstMatch(reply, "Address: ([0-9.]+)", error);
  REQUIRE(m);
  CHECK(m->size() == 30000);
  const std::string output(64 * 1024, 'a');
  // A group repeated once per character needs a backtracking frame each: over the heap limit,
  // that is an error, not a crash.
  CHECK_FALSE(firstMatch(output, "(a|b)*", error));
  CHECK(error.find("regex gave up: heap limit") != std::string::npos);
  error.clear();
  CHECK(firstMatch(output, "(?:a)+", error)->size() == output.size());
  CHECK(firstMatch(output + "1.2.3.4", "([0-9.]+)$", error) == "1.2.3.4");
}

TEST_CASE("Unit: a pathological pattern ends with an error, not a hang", "[config][unit]") {
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  const std::string text = std::string(64 * 1024, 'a') + "!";
  CHECK_FALSE(firstMatch(text, "(a+)+$", error));
  CHECK(error.find("regex gave up") != std::string::npos);
  error.clear();
  CHECK_FALSE(firstMatch(std::string(40, 'a') + "!", "(a|aa)+$", error));
  CHECK(error.find("regex gave up") != std::string::npos);
  error.clear();
  CHECK_FALSE(firstMatch(std::string(64 * 1024, 'a'), "(a+)+b", error));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
