// SPDX-License-Identifier: MIT
#include "common/shared_library.hpp"

#include <catch2/catch.hpp>

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::SharedLibrary;

TEST_CASE("Unit: SharedLibrary opens the first soname that loads and binds symbols",
          "[common][unit]") {
  // libc is always there; the first name is not.
  SharedLibrary library({"libchipmunk-missing.so.9", "libc.so.6"});
  REQUIRE(library.loaded());
  CHECK(library.soname() == "libc.so.6");
  size_t (*length)(const char*) = nullptr;
  library.bind(length, "strlen");
  REQUIRE(length != nullptr);
  CHECK(length("four") == 4);
  CHECK(library.complete());
  CHECK(library.error().empty());
}

TEST_CASE("Unit: SharedLibrary names the missing symbol and the library that lacks it",
          "[common][unit]") {
  SharedLibrary library({"libc.so.6"});
  void (*first)() = nullptr;
  void (*second)() = nullptr;
  library.bind(first, "chipmunk_no_such_function");
  library.bind(second, "chipmunk_nor_this_one");
  CHECK(first == nullptr);
  CHECK_FALSE(library.complete());
  CHECK(library.error() == "libc.so.6 has no chipmunk_no_such_function");
}

TEST_CASE("Unit: SharedLibrary says why no library loaded", "[common][unit]") {
  SharedLibrary library({"libchipmunk-missing.so.9", "libchipmunk-absent.so.1"});
  CHECK_FALSE(library.loaded());
  CHECK_FALSE(library.complete());
  CHECK(library.error().find("libchipmunk-missing.so.9") != std::string::npos);
  CHECK(library.error().find("libchipmunk-absent.so.1") != std::string::npos);
  void (*fn)() = nullptr;
  library.bind(fn, "anything");
  CHECK(fn == nullptr);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
