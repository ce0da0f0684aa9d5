#include <catch2/catch.hpp>

#include "client_ip.hpp"

using namespace chipmunk::api;
using chipmunk::Cidr;
using chipmunk::IpAddress;
using chipmunk::config::ClientIpHeader;

namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::string resolve(const char* peer, ForwardingHeaders h, const std::vector<const char*>& trusted,
                    ClientIpHeader mode = ClientIpHeader::kAuto) {
  std::vector<Cidr> nets;
  for (const auto* t : trusted) {
    nets.push_back(*Cidr::parse(t));
  }
  return resolveClientIp(ip(peer), h, nets, mode).toString();
}

}  // namespace

TEST_CASE("Unit: forwarding headers from an untrusted peer are ignored", "[api][unit]") {
  ForwardingHeaders h;
  h.xForwardedFor = "6.6.6.6";
  h.xRealIp = "6.6.6.7";
  h.forwarded = "for=6.6.6.8";
  CHECK(resolve("198.51.100.1", h, {}) == "198.51.100.1");
  CHECK(resolve("198.51.100.1", h, {"127.0.0.1"}) == "198.51.100.1");
}

TEST_CASE("Unit: X-Forwarded-For is read right to left, skipping trusted hops", "[api][unit]") {
  ForwardingHeaders h;
  h.xForwardedFor = "6.6.6.6, 203.0.113.9";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "203.0.113.9");
  h.xForwardedFor = "6.6.6.6, 203.0.113.9, 10.0.0.2";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1", "10.0.0.0/8"}) == "203.0.113.9");
  h.xForwardedFor = "10.0.0.3,10.0.0.2";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1", "10.0.0.0/8"}) == "10.0.0.3");
  h.xForwardedFor = "6.6.6.6, garbage, 10.0.0.2";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1", "10.0.0.0/8"}) == "10.0.0.2");
  h.xForwardedFor = "[2001:db8::5]:443, 192.0.2.1:5555";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "192.0.2.1");
  h.xForwardedFor = "::ffff:192.0.2.77";
  CHECK(resolve("::1", h, {"::1"}) == "192.0.2.77");
  h.xForwardedFor = "";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "127.0.0.1");
}

TEST_CASE("Unit: RFC 7239 Forwarded for= is honoured from trusted proxies", "[api][unit]") {
  ForwardingHeaders h;
  h.forwarded = "for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "2001:db8:cafe::17");
  h.forwarded = "For=\"192.0.2.43:47011\"";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "192.0.2.43");
  h.forwarded = "for=192.0.2.60, for=unknown";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "127.0.0.1");
  h.forwarded = "for=_hidden, for=198.51.100.17";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "198.51.100.17");
  h.forwarded = "for=\"unterminated";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "127.0.0.1");
  h.forwarded = "proto=https, for=198.51.100.2";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "198.51.100.2");
}

TEST_CASE("Unit: header choice and precedence", "[api][unit]") {
  ForwardingHeaders h;
  h.xForwardedFor = "198.51.100.1";
  h.forwarded = "for=198.51.100.2";
  h.xRealIp = "198.51.100.3";
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}) == "198.51.100.1");
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}, ClientIpHeader::kForwarded) == "198.51.100.2");
  CHECK(resolve("127.0.0.1", h, {"127.0.0.1"}, ClientIpHeader::kXRealIp) == "198.51.100.3");
  ForwardingHeaders onlyReal;
  onlyReal.xRealIp = "198.51.100.3";
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}) == "198.51.100.3");
  // A chosen header that is absent means the peer itself.
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}, ClientIpHeader::kXForwardedFor) ==
        "127.0.0.1");
  onlyReal.xRealIp = "not an ip";
  CHECK(resolve("127.0.0.1", onlyReal, {"127.0.0.1"}) == "127.0.0.1");
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
