// SPDX-License-Identifier: MIT
// The server's request parser (api/server_parser.cpp): Pistache's parser, fed only heads
// that passed the wire's checks, refusing the others with a status and keeping the target
// as sent and every line of a forwarding header.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "api/server_parser.hpp"

using chipmunk::api::Awaiting;
using chipmunk::api::GuardedRequestParser;
using Pistache::Http::Private::State;

namespace {

// The status a head is refused with once taken whole; 0 when it parses.
int refusal(const std::string& bytes, size_t maxSize = 1024) {
  GuardedRequestParser parser(maxSize, std::make_shared<Awaiting>());
  if (const int status = parser.take(bytes.data(), bytes.size())) {
    return status;
  }
  try {
    return parser.parse() == State::Done ? 0 : -1;
  } catch (const Pistache::Http::HttpError& e) {
    return e.code();
  }
}

}  // namespace

TEST_CASE("Unit: the server parser keeps the target as sent and joins forwarding headers",
          "[api][unit]") {
  GuardedRequestParser parser(1024, std::make_shared<Awaiting>());
  const std::string head =
      "GET /nic/update?hostname=a&hostname=b HTTP/1.1\r\nHost: h\r\n"
      "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 192.0.2.2\r\n\r\n";
  const size_t half = head.size() / 2;
  REQUIRE(parser.take(head.data(), half) == 0);
  CHECK(parser.parse() == State::Again);  // nothing reaches Pistache before the whole head
  REQUIRE(parser.take(head.data() + half, head.size() - half) == 0);
  REQUIRE(parser.parse() == State::Done);
  CHECK(parser.target() == "/nic/update?hostname=a&hostname=b");
  CHECK(parser.request.resource() == "/nic/update");
  const auto xff = parser.request.headers().tryGetRaw("X-Forwarded-For");
  REQUIRE(xff);
  CHECK(xff->value() == "192.0.2.1, 192.0.2.2");

  parser.reset();
  CHECK(parser.target().empty());
  const std::string next = "POST /set HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok";
  REQUIRE(parser.take(next.data(), next.size()) == 0);
  REQUIRE(parser.parse() == State::Done);
  CHECK(parser.request.body() == "ok");
}

TEST_CASE("Unit: the server parser refuses heads with the wire's statuses", "[api][unit]") {
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
  CHECK(refusal("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400);  // a bare LF
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
        400);
  CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == 411);
  CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n") == 413);
  CHECK(refusal("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") == 501);
  CHECK(refusal("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n") == 414);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h:port\r\n\r\n") == 400);  // Pistache's own error
}

TEST_CASE("Unit: a connection awaiting its password check is busy until released", "[api][unit]") {
  Awaiting awaiting;
  CHECK_FALSE(awaiting.busy());
  awaiting.hold();
  awaiting.hold();
  CHECK(awaiting.busy());
  awaiting.release();
  CHECK(awaiting.busy());
  awaiting.release();
  CHECK_FALSE(awaiting.busy());
}
