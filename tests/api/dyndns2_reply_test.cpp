// SPDX-License-Identifier: MIT
// A dyndns2 answer on its way out (api/dyndns2_reply.cpp): its codes for the request log,
// and 911 in place of any other 5xx body.
#include <catch2/catch.hpp>

#include <string>

#include "api/dyndns2_reply.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::api;

TEST_CASE("Unit: the request log names a dyndns2 body's codes and nothing else", "[api][unit]") {
  CHECK(isDyndnsPath("/nic/update"));
  CHECK(isDyndnsPath("/v3/update"));
  CHECK_FALSE(isDyndnsPath("/nic/update/"));
  CHECK_FALSE(isDyndnsPath("/set"));

  CHECK(dyndnsCodes("good 192.0.2.1\nnohost\n\nnochg 2001:db8::1\n") == "good,nohost,nochg");
  CHECK(dyndnsCodes("badauth") == "badauth");
  CHECK(dyndnsCodes("!yours\n911\n") == "!yours,911");
  CHECK(dyndnsCodes("") == "");
  CHECK(dyndnsCodes("Method Not Allowed") == "");  // not a dyndns2 body
  CHECK(dyndnsCodes("good 192.0.2.1\nsecret 1\n") == "");
  std::string many;
  for (int i = 0; i < 25; ++i) {
    many += "nochg 192.0.2.1\n";
  }
  std::string twenty = "nochg";
  for (int i = 1; i < 20; ++i) {
    twenty += ",nochg";
  }
  CHECK(dyndnsCodes(many) == twenty + ",...");
}

TEST_CASE("Unit: a dyndns2 server error says 911", "[api][unit]") {
  Response failed;
  failed.code = 500;
  failed.contentType = "application/json";
  failed.body = "Internal Server Error";
  const Response said = dyndnsServerError(failed);
  CHECK(said.code == 500);
  CHECK(said.body == "911\n");
  CHECK(said.contentType == "text/plain; charset=utf-8");

  Response already;
  already.code = 503;
  already.body = "911 retry\n";
  CHECK(dyndnsServerError(already).body == "911 retry\n");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
