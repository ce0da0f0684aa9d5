// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "api/basic_auth.hpp"
#include "common/base64.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::base64Encode;
using chipmunk::api::parseBasicAuthorization;

TEST_CASE("Unit: Basic credentials decode, passwords may contain colons", "[api][unit]") {
  const auto c = parseBasicAuthorization("Basic " + base64Encode("alice:pa:ss word"));
  REQUIRE(c);
  CHECK(c->user == "alice");
  CHECK(c->password == "pa:ss word");
  const auto lower = parseBasicAuthorization("basic   " + base64Encode("bob:"));
  REQUIRE(lower);
  CHECK(lower->user == "bob");
  CHECK(lower->password.empty());
  CHECK(parseBasicAuthorization("BASIC " + base64Encode("u:p")));
}

TEST_CASE("Unit: malformed Authorization values are rejected, not thrown", "[api][unit]") {
  const std::string junk(5000, 'A');
  for (const std::string& bad :
       {std::string(""), std::string("Basic"), std::string("Basic "), std::string("Basic !!!"),
        "Basic " + base64Encode("nocolon"), "Basic " + base64Encode(":nouser"),
        "Bearer " + base64Encode("u:p"), "Basic " + base64Encode("u\x01x:p"), "Basic " + junk,
        std::string("Basic Zm9v\x00YmFy", 15), std::string("Basic ====")}) {
    INFO(bad.substr(0, 40));
    CHECK_FALSE(parseBasicAuthorization(bad));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
