// SPDX-License-Identifier: MIT
// The server's request parser (api/http_wire_reader.cpp): a connection's bytes in, its
// requests out in order, whatever the reads' sizes; the limits and framing refusals with
// their statuses; and the connection state that tells the transport's timers which
// timeout applies (api/server_parser.cpp).
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/http_wire_reader.hpp"
#include "api/server_parser.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::api;
using chipmunk::IpAddress;

// What a reader makes of `bytes` taken in reads of `chunk` bytes: the requests, in order,
// then the refusal status (0: none, and no partial request left over when `whole`).
struct Outcome {
  std::vector<ParsedRequest> requests;
  int refused = 0;
  size_t buffered = 0;
};

Outcome readAll(const std::string& bytes, size_t chunk, size_t maxSize = 1024) {
  RequestReader reader(maxSize);
  Outcome o;
  for (size_t i = 0; i < bytes.size() && o.refused == 0; i += chunk) {
    reader.append(bytes.data() + i, std::min(chunk, bytes.size() - i));
    ParsedRequest r;
    int got = RequestReader::kAgain;
    while ((got = reader.next(r)) == RequestReader::kReady) {
      o.requests.push_back(std::move(r));
    }
    o.refused = got == RequestReader::kAgain ? 0 : got;
  }
  o.buffered = reader.buffered();
  return o;
}

int refusal(const std::string& bytes, size_t maxSize = 1024) {
  return readAll(bytes, bytes.size(), maxSize).refused;
}

const std::string kGet =
    "GET /get/ip?a=1&a=2 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eA==\r\n"
    "X-Forwarded-For: 192.0.2.1\r\nx-forwarded-for:192.0.2.2 \r\nUser-Agent: one\r\n"
    "User-Agent: two\r\n\r\n";
const std::string kPost = "POST /set HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
const std::string kHead10 = "HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";

TEST_CASE("Unit: the request reader serves pipelined requests in order at every split",
          "[api][unit]") {
  const std::string bytes = kGet + kPost + kHead10;
  for (size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
    INFO("read size " << chunk);
    const Outcome o = readAll(bytes, chunk);
    REQUIRE(o.refused == 0);
    REQUIRE(o.requests.size() == 3);
    CHECK(o.buffered == 0);
    const RequestInfo& get = o.requests[0].info;
    CHECK(get.methodName == "GET");
    CHECK(get.method == Method::kGet);
    CHECK(get.path == "/get/ip");
    REQUIRE(get.query.size() == 2);  // repeats kept, in order
    CHECK(get.query[1].second == "2");
    CHECK(get.host == std::string("h"));
    CHECK(get.authorization == std::string("Basic eA=="));
    CHECK(get.xForwardedFor == std::string("192.0.2.1, 192.0.2.2"));  // every line, in order
    CHECK(get.userAgent == std::string("one"));                       // the first
    CHECK(get.body.empty());
    CHECK(o.requests[0].keepAlive);
    CHECK(o.requests[1].info.method == Method::kPost);
    CHECK(o.requests[1].info.body == "hello");
    CHECK(o.requests[2].info.method == Method::kHead);
    CHECK(o.requests[2].http10);
    CHECK(o.requests[2].keepAlive);
  }
}

TEST_CASE("Unit: the request reader applies HTTP/1.0 and HTTP/1.1 keep-alive rules",
          "[api][unit]") {
  const auto keeps = [](const std::string& head) {
    const Outcome o = readAll(head, head.size());
    REQUIRE(o.requests.size() == 1);
    return o.requests[0].keepAlive;
  };
  CHECK(keeps("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keeps("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST_CASE("Unit: the request reader waits for a body and reports it to the timers", "[api][unit]") {
  ConnectionState conn(1024, IpAddress::parse("192.0.2.9"));
  ParsedRequest r;
  const size_t headLen = kPost.size() - 5;
  conn.reader.append(kPost.data(), headLen - 1);
  CHECK(conn.reader.next(r) == RequestReader::kAgain);
  CHECK(conn.timer() == ConnectionState::Timer::kHeader);  // header_timeout
  conn.reader.append(kPost.data() + headLen - 1, 3);
  CHECK(conn.reader.next(r) == RequestReader::kAgain);
  CHECK(conn.timer() == ConnectionState::Timer::kBody);  // body_timeout
  conn.awaiting.hold();  // a request at the slow-auth pool: not timed
  CHECK(conn.timer() == ConnectionState::Timer::kNone);
  conn.awaiting.release();
  conn.reader.append(kPost.data() + headLen + 2, 3);
  REQUIRE(conn.reader.next(r) == RequestReader::kReady);
  CHECK(r.info.body == "hello");
  CHECK(conn.reader.buffered() == 0);
  CHECK(conn.timer() == ConnectionState::Timer::kHeader);
}

TEST_CASE("Unit: the request reader refuses limits by where they were hit", "[api][unit]") {
  // 414 inside the request line, 431 inside the headers, 413 for the body.
  CHECK(refusal("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n") == 414);
  CHECK(refusal("GET /" + std::string(2000, 'a')) == 414);
  // Whatever lies past the limit does not change the status, however the bytes arrive.
  const std::string pastLimit = "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nX: \n\r\n";
  for (const size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, pastLimit.size()}) {
    CHECK(readAll(pastLimit, chunk).refused == 414);
  }
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a')) == 431);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n") ==
        431);
  CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n") == 413);
  CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999\r\n\r\n") == 413);
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n";
  CHECK(refusal(head) == 413);  // head and body together over 1024
  CHECK(refusal(head, head.size() + 1000) == 0);
  // The limit is per request: pipelined requests together may exceed it.
  std::string many;
  for (int i = 0; i < 40; ++i) {
    many += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  }
  const Outcome o = readAll(many, many.size(), 64);
  CHECK(o.refused == 0);
  CHECK(o.requests.size() == 40);
}

TEST_CASE("Unit: the request reader refuses bad framing", "[api][unit]") {
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
  CHECK(refusal("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400);  // a bare LF
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
        400);
  CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == 411);
  CHECK(refusal("BREW / HTTP/1.1\r\nHost: h\r\n\r\n") == 501);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h:port\r\n\r\n") == 400);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n") == 400);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n") == 0);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h:65536\r\n\r\n") == 400);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nDate: yesterday\r\n\r\n") == 400);
  CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n") == 0);
  CHECK(refusal("GET / HTTP/1.1\r\n\r\n") == 400);  // no Host
  // A bad request behind a good one: the good one is served, then the refusal.
  const Outcome o = readAll(kGet + "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 7);
  CHECK(o.requests.size() == 1);
  CHECK(o.refused == 400);
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

TEST_CASE("Unit: a connection is full at 32 requests unanswered or 1 MiB of answers queued",
          "[api][unit]") {
  auto conn = std::make_shared<ConnectionState>(1024, std::nullopt);
  conn->nextSeq = ConnectionState::kMaxUnanswered - 1;
  CHECK_FALSE(conn->full());
  conn->nextSeq = ConnectionState::kMaxUnanswered;
  CHECK(conn->full());
  conn->answered = 1;  // written at once
  CHECK_FALSE(conn->full());
  // Queued in the write queue: counted in bytes until written.
  conn->queued(ConnectionState::kMaxQueuedBytes - 1);
  CHECK_FALSE(conn->full());
  CHECK(conn->writing == 1);
  conn->queued(1);
  CHECK(conn->full());
  conn->written(1);
  CHECK_FALSE(conn->full());
  CHECK(conn->answered == 2);
  conn->written(ConnectionState::kMaxQueuedBytes - 1);
  CHECK(conn->queuedBytes == 0);
  CHECK(conn->writing == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
