// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "common/base64.hpp"
#include "common/password_hash.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::base64Decode;
using chipmunk::base64Encode;

TEST_CASE("Unit: base64 round-trips RFC 4648 vectors", "[config][unit]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64Encode(plain) == encoded);
    CHECK(base64Decode(encoded) == std::string(plain));
  }
}

TEST_CASE("Unit: base64 decoding is strict", "[config][unit]") {
  CHECK_FALSE(base64Decode("Zg="));  // short padding
  CHECK_FALSE(base64Decode("Zg"));   // padding required by default
  CHECK(base64Decode("Zg", false) == std::string("f"));
  CHECK_FALSE(base64Decode("Zh=="));  // stray bits
  CHECK_FALSE(base64Decode("Z!=="));
  CHECK_FALSE(base64Decode("Zm9v\n"));
  CHECK_FALSE(base64Decode("Z"));
  CHECK_FALSE(base64Decode("Zm9v===="));
}

TEST_CASE("Unit: password hashes verify only the right password", "[config][unit]") {
  const std::string hash = chipmunk::hashPassword("s3cret:with:colons", 10000);
  CHECK(hash.rfind("$pbkdf2-sha256$10000$", 0) == 0);
  CHECK(chipmunk::checkPasswordHash(hash).empty());
  CHECK(chipmunk::verifyPasswordHash("s3cret:with:colons", hash));
  CHECK_FALSE(chipmunk::verifyPasswordHash("s3cret:with:colon", hash));
  CHECK_FALSE(chipmunk::verifyPasswordHash("", hash));
  // Two hashes of one password differ (random salt).
  CHECK(chipmunk::hashPassword("x", 10000) != chipmunk::hashPassword("x", 10000));
}

TEST_CASE("Unit: malformed password hashes are explained, never accepted", "[config][unit]") {
  for (const char* bad : {"$pbkdf2-sha256$", "$pbkdf2-sha256$abc$c2FsdHNhbHQ$aGFzaA",
                          "$pbkdf2-sha256$999$c2FsdHNhbHQ$aGFzaA", "$pbkdf2-sha256$10000$!!$aGFzaA",
                          "$md5$1$2$3", "$pbkdf2-sha256$10000$c2FsdHNhbHQ$aGFzaA"}) {
    INFO(bad);
    CHECK_FALSE(chipmunk::checkPasswordHash(bad).empty());
    CHECK_FALSE(chipmunk::verifyPasswordHash("anything", bad));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
