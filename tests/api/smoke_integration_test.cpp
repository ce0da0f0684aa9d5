// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

TEST_CASE("Integration: chipmunk-api answers /get/ip for a plaintext user", "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret\n");
  REQUIRE(api.start());
  const auto r = httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret"));
  CHECK(r.status == 200);
  CHECK(r.body == "Your IP:  127.0.0.1");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
