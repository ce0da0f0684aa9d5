// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "api/client_ip.hpp"
#include "api/http_wire.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::api;
using chipmunk::Cidr;
using chipmunk::IpAddress;
using chipmunk::config::ClientIpHeader;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::string resolve(const char* peer, ForwardingHeaders h, const std::vector<const char*>& trusted,
                    ClientIpHeader mode = ClientIpHeader::kAuto) {
  std::vector<Cidr> nets;
  for (const auto* t : trusted) {
    nets.push_back(*Cidr::parse(t));
  }
  const auto client = resolveClientIp(ip(peer), h, nets, mode);
  return client ? client->toString() : "conflict";
}

// The forwarding headers a request carries; nullptr is a header that is absent.
ForwardingHeaders headers(const char* xForwardedFor, const char* xRealIp, const char* forwarded) {
  ForwardingHeaders h;
  if (xForwardedFor != nullptr) {
    h.xForwardedFor = xForwardedFor;
  }
  if (xRealIp != nullptr) {
    h.xRealIp = xRealIp;
  }
  if (forwarded != nullptr) {
    h.forwarded = forwarded;
  }
  return h;
}

// One header value, the proxies trusted, and the client it must resolve to.
struct HeaderCase {
  const char* value;
  std::vector<const char*> trusted;
  const char* expected;
  const char* peer = "127.0.0.1";
};

TEST_CASE("Unit: forwarding headers from an untrusted peer are ignored", "[api][unit]") {
  const auto h = headers("6.6.6.6", "6.6.6.7", "for=6.6.6.8");
  CHECK(resolve("198.51.100.1", h, {}) == "198.51.100.1");
  CHECK(resolve("198.51.100.1", h, {"127.0.0.1"}) == "198.51.100.1");
}

TEST_CASE("Unit: X-Forwarded-For is read right to left, skipping trusted hops", "[api][unit]") {
  const std::vector<HeaderCase> cases = {
      {"6.6.6.6, 203.0.113.9", {"127.0.0.1"}, "203.0.113.9"},
      {"6.6.6.6, 203.0.113.9, 10.0.0.2", {"127.0.0.1", "10.0.0.0/8"}, "203.0.113.9"},
      {"10.0.0.3,10.0.0.2", {"127.0.0.1", "10.0.0.0/8"}, "10.0.0.3"},
      {"6.6.6.6, garbage, 10.0.0.2", {"127.0.0.1", "10.0.0.0/8"}, "10.0.0.2"},
      {"[2001:db8::5]:443, 192.0.2.1:5555", {"127.0.0.1"}, "192.0.2.1"},
      {"::ffff:192.0.2.77", {"::1"}, "192.0.2.77", "::1"},
      {"", {"127.0.0.1"}, "127.0.0.1"},
  };
  for (const auto& c : cases) {
    INFO(c.value);
    CHECK(resolve(c.peer, headers(c.value, nullptr, nullptr), c.trusted) == c.expected);
  }
}

TEST_CASE("Unit: RFC 7239 Forwarded for= is honoured from trusted proxies", "[api][unit]") {
  const std::vector<HeaderCase> cases = {
      {"for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"",
       {"127.0.0.1"},
       "2001:db8:cafe::17"},
      {"For=\"192.0.2.43:47011\"", {"127.0.0.1"}, "192.0.2.43"},
      {"for=192.0.2.60, for=unknown", {"127.0.0.1"}, "127.0.0.1"},
      {"for=_hidden, for=198.51.100.17", {"127.0.0.1"}, "198.51.100.17"},
      {"for=\"unterminated", {"127.0.0.1"}, "127.0.0.1"},
      {"proto=https, for=198.51.100.2", {"127.0.0.1"}, "198.51.100.2"},
  };
  for (const auto& c : cases) {
    INFO(c.value);
    CHECK(resolve(c.peer, headers(nullptr, nullptr, c.value), c.trusted) == c.expected);
  }
}

TEST_CASE("Unit: an explicit client_ip_header reads only that header", "[api][unit]") {
  const auto h = headers("198.51.100.1", "198.51.100.3", "for=198.51.100.2");
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}, ClientIpHeader::kXForwardedFor) == "198.51.100.1");
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}, ClientIpHeader::kForwarded) == "198.51.100.2");
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}, ClientIpHeader::kXRealIp) == "198.51.100.3");
  auto onlyReal = headers(nullptr, "198.51.100.3", nullptr);
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}) == "198.51.100.3");
  // A chosen header that is absent means the peer itself.
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}, ClientIpHeader::kXForwardedFor) ==
        "127.0.0.1");
  onlyReal.xRealIp = "not an ip";
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}) == "127.0.0.1");
  // X-Real-IP on several lines (joined): the nearest proxy's, the last, counts.
  onlyReal.xRealIp = "6.6.6.6, 198.51.100.4";
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}, ClientIpHeader::kXRealIp) == "198.51.100.4");
}

TEST_CASE("Unit: auto believes no header the proxy may have passed on from the client",
          "[api][unit]") {
  const std::vector<const char*> proxy = {"127.0.0.1"};
  // A proxy that only overwrites X-Real-IP passes the client's X-Forwarded-For (or
  // Forwarded) on; one that only appends to X-Forwarded-For passes the client's X-Real-IP
  // on: the client must not choose its address with it (issue 11, finding 5a).
  const auto xffProxy = headers("6.6.6.6, 203.0.113.7", "garbage", nullptr);
  const std::vector<ForwardingHeaders> conflicts = {
      headers("6.6.6.6", "203.0.113.7", nullptr),
      headers(nullptr, "203.0.113.7", "for=6.6.6.6"),
      headers("6.6.6.6, 203.0.113.7", "6.6.6.6", nullptr),
      xffProxy,
  };
  for (const auto& h : conflicts) {
    CHECK(resolve("127.0.0.1", h, proxy) == "conflict");
  }
  // Headers that agree (the shipped vhosts set X-Real-IP and X-Forwarded-For alike).
  CHECK(resolve("127.0.0.1", headers("203.0.113.7", "203.0.113.7", nullptr), proxy) ==
        "203.0.113.7");
  CHECK(resolve("127.0.0.1", headers("203.0.113.7", "203.0.113.7", "for=203.0.113.7"), proxy) ==
        "203.0.113.7");
  // nginx with $proxy_add_x_forwarded_for behind a CDN: X-Real-IP names the trusted CDN,
  // which says nothing about the client, and X-Forwarded-For is walked past it.
  const auto twoHops = headers("6.6.6.6, 203.0.113.7, 10.0.0.2", "10.0.0.2", nullptr);
  CHECK(resolve("127.0.0.1", twoHops, {"127.0.0.1", "10.0.0.0/8"}) == "203.0.113.7");
  // One header alone is the proxy's.
  CHECK(resolve("127.0.0.1", headers(nullptr, nullptr, "for=198.51.100.2"), proxy) ==
        "198.51.100.2");
  // Never a conflict from an untrusted peer: it is itself.
  CHECK(resolve("198.51.100.1", xffProxy, proxy) == "198.51.100.1");
  for (const auto mode :
       {ClientIpHeader::kXForwardedFor, ClientIpHeader::kXRealIp, ClientIpHeader::kForwarded}) {
    CHECK(resolve("127.0.0.1", xffProxy, proxy, mode) != "conflict");
  }
}

TEST_CASE("Unit: repeated header lines are one list in order", "[api][unit]") {
  // As the server reads a head (api/http_wire.hpp): every line of a forwarding header, in
  // order, joined with ", "; a header of another name is not one of them.
  const std::string head =
      "GET /get/ip HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n"
      "x-forwarded-for:203.0.113.7 \r\nForwarded: for=1.1.1.1\r\n"
      "X-Forwarded-For-Not: 9.9.9.9\r\nFORWARDED:  for=2.2.2.2, for=3.3.3.3\r\n\r\n";
  RequestHead parsed;
  RequestInfo info;
  std::optional<std::string> connection;
  REQUIRE(readRequestHead(head, parsed, info, connection) == 0);
  CHECK(info.xForwardedFor == std::string("6.6.6.6, 203.0.113.7"));
  CHECK(info.forwarded == std::string("for=1.1.1.1, for=2.2.2.2, for=3.3.3.3"));
  CHECK_FALSE(info.xRealIp);
  // HAProxy's option forwardfor appends a line: the client's forged first line loses.
  CHECK(resolve("127.0.0.1", headers(info.xForwardedFor->c_str(), nullptr, nullptr),
                {"127.0.0.1"}) == "203.0.113.7");
  CHECK(resolve("127.0.0.1", headers(nullptr, nullptr, info.forwarded->c_str()), {"127.0.0.1"}) ==
        "3.3.3.3");
}

TEST_CASE("Unit: chain nodes parse with and without ports", "[api][unit]") {
  CHECK(parseNode("192.0.2.1")->toString() == "192.0.2.1");
  CHECK(parseNode(" 192.0.2.1:80 ")->toString() == "192.0.2.1");
  CHECK(parseNode("[2001:db8::1]:80")->toString() == "2001:db8::1");
  CHECK(parseNode("[2001:db8::1]")->toString() == "2001:db8::1");
  CHECK(parseNode("2001:db8::1")->toString() == "2001:db8::1");
  for (const char* bad :
       {"", "unknown", "_obf", "[192.0.2.1]:80", "192.0.2.1:x", "[::1]:", "[::1", "1.2.3.4:5:6"}) {
    INFO(bad);
    CHECK_FALSE(parseNode(bad));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
