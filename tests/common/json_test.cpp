// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>

#include "common/json.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;

std::string deepObject(int levels) {
  std::string text;
  for (int i = 0; i < levels; ++i) {
    text += "{\"a\":";
  }
  text += "1";
  text += std::string(static_cast<size_t>(levels), '}');
  return text;
}

TEST_CASE("Unit: bounded JSON parses what providers send", "[config][unit]") {
  rapidjson::Document doc;
  std::string error;
  REQUIRE(json::parse(doc, R"({"data":[{"id":1,"name":"a[{"}],"page":1})", error));
  CHECK(error.empty());
  REQUIRE(doc.IsObject());
  CHECK(doc["data"][0]["name"].GetString() == std::string("a[{"));
  CHECK(json::nestingDepth(R"({"data":[{"id":1,"name":"a[{\"["}]})", 64) == 3);
  CHECK(json::nestingDepth("[1,2]", 64) == 1);
  CHECK(json::nestingDepth("\"[[[[\"", 64) == 0);
  REQUIRE(json::parse(doc, deepObject(json::kMaxDepth), error));
}

TEST_CASE("Unit: bounded JSON refuses 1 MB of open brackets and deep nesting instead of crashing",
          "[config][unit]") {
  rapidjson::Document doc;
  std::string error;
  CHECK_FALSE(json::parse(doc, std::string(1000000, '['), error));
  CHECK(error.find("nested deeper than 64") != std::string::npos);
  CHECK(doc.IsNull());
  CHECK_FALSE(json::parse(doc, deepObject(150000), error));  // 900 kB
  CHECK(error.find("nested deeper") != std::string::npos);
  CHECK_FALSE(json::parse(doc, deepObject(json::kMaxDepth + 1), error));
  // Unbalanced closers do not hide openers.
  CHECK_FALSE(json::parse(doc, "]]]]" + std::string(100, '['), error));
  // Even with the depth check switched off, the parse is iterative: no recursion, no crash.
  CHECK_FALSE(json::parse(doc, std::string(1000000, '['), error, {json::kMaxBytes, 1u << 30}));
  CHECK(error.find("not JSON") != std::string::npos);
  rapidjson::Document deep;
  REQUIRE(json::parse(deep, deepObject(200000), error, {json::kMaxBytes * 2, 1u << 30}));
  CHECK(deep.IsObject());
}

TEST_CASE("Unit: bounded JSON refuses text over its size cap", "[config][unit]") {
  rapidjson::Document doc;
  std::string error;
  const std::string big = "\"" + std::string(json::kMaxBytes, 'x') + "\"";
  CHECK_FALSE(json::parse(doc, big, error));
  CHECK(error.find("larger than") != std::string::npos);
  CHECK(json::parse(doc, "[1]", error, {3, 4}));
  CHECK_FALSE(json::parse(doc, "[1] ", error, {3, 4}));
  CHECK_FALSE(json::parse(doc, "not json", error));
  CHECK(error.find("not JSON") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
