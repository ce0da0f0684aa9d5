// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>

#include "common/ip.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::Cidr;
using chipmunk::IpAddress;

TEST_CASE("Unit: IPv4 and IPv6 parse and print canonically", "[config][unit]") {
  CHECK(IpAddress::parse("192.0.2.1")->toString() == "192.0.2.1");
  // Every digit count in every position, as inet_ntop writes them.
  for (const char* v4 : {"0.0.0.0", "255.255.255.255", "10.100.9.199", "1.20.255.0"}) {
    CHECK(IpAddress::parse(v4)->toString() == v4);
  }
  CHECK(IpAddress::parse("2001:DB8:0:0:0:0:0:1")->toString() == "2001:db8::1");
  // RFC 5952: one zero group is not compressed; the longest run is; first on a tie.
  CHECK(IpAddress::parse("2001:db8:0:1:1:1:1:1")->toString() == "2001:db8:0:1:1:1:1:1");
  CHECK(IpAddress::parse("2001:0:0:1:0:0:0:1")->toString() == "2001:0:0:1::1");
  CHECK(IpAddress::parse("2001:db8:0:0:1:0:0:1")->toString() == "2001:db8::1:0:0:1");
  CHECK(IpAddress::parse("::")->toString() == "::");
}

TEST_CASE("Unit: IPv4-mapped IPv6 folds to IPv4", "[config][unit]") {
  const auto ip = IpAddress::parse("::ffff:198.51.100.7");
  REQUIRE(ip);
  CHECK(ip->isV4());
  CHECK(ip->toString() == "198.51.100.7");
  CHECK(*ip == *IpAddress::parse("198.51.100.7"));
  CHECK(IpAddress::parse("::FFFF:c633:6407")->toString() == "198.51.100.7");
}

TEST_CASE("Unit: garbage is not an address", "[config][unit]") {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", "::g", "1.2.3.4 ",
                          " 1.2.3.4", "[::1]", "fe80::1%eth0", "<html>", "1.2.3.4/24"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("Unit: an address with a NUL in it is not cut short", "[config][unit]") {
  // inet_pton() stops at a NUL: "192.0.2.1\0junk" must not parse as 192.0.2.1.
  using namespace std::string_literals;
  CHECK_FALSE(IpAddress::parse("192.0.2.1\0junk"s));
  CHECK_FALSE(IpAddress::parse("192.0.2.1\0"s));
  CHECK_FALSE(IpAddress::parse("2001:db8::1\0::2"s));
  CHECK_FALSE(Cidr::parse("192.0.2.0\0/24"s));
  CHECK(IpAddress::parse("192.0.2.1"s));
}

TEST_CASE("Unit: public and special-purpose addresses", "[config][unit]") {
  CHECK(IpAddress::parse("8.8.8.8")->isPublic());
  CHECK(IpAddress::parse("2a00:1450:4001:80b::200e")->isPublic());
  for (const char* special :
       {"10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "100.64.0.1", "169.254.1.1",
        "192.0.2.5", "198.51.100.1", "203.0.113.9", "0.0.0.0", "224.0.0.1", "255.255.255.255",
        "::1", "::", "fe80::1", "fd00::1", "2001:db8::1", "ff02::1"}) {
    INFO(special);
    CHECK_FALSE(IpAddress::parse(special)->isPublic());
  }
}

TEST_CASE("Unit: CIDR membership", "[config][unit]") {
  const auto net = Cidr::parse("10.0.0.0/8");
  REQUIRE(net);
  CHECK(net->contains(*IpAddress::parse("10.255.1.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("11.0.0.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("::ffff:11.0.0.1")));
  CHECK(net->contains(*IpAddress::parse("::ffff:10.0.0.1")));
  const auto host = Cidr::parse("127.0.0.1");
  REQUIRE(host);
  CHECK(host->contains(*IpAddress::parse("127.0.0.1")));
  CHECK_FALSE(host->contains(*IpAddress::parse("127.0.0.2")));
  const auto v6 = Cidr::parse("2001:db8:abcd::/48");
  REQUIRE(v6);
  CHECK(v6->contains(*IpAddress::parse("2001:db8:abcd:12::1")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("2001:db8:abce::1")));
  CHECK(Cidr::parse("0.0.0.0/0")->contains(*IpAddress::parse("1.2.3.4")));
  const auto odd = Cidr::parse("192.168.0.0/23");
  CHECK(odd->contains(*IpAddress::parse("192.168.1.200")));
  CHECK_FALSE(odd->contains(*IpAddress::parse("192.168.2.1")));
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0.0/", "::/129", "x/8", "10.0.0.0/8/8", "10.0.0.0/-1"}) {
    INFO(bad);
    CHECK_FALSE(Cidr::parse(bad));
  }
}

TEST_CASE("Unit: host:port parsing", "[config][unit]") {
  std::string host;
  uint16_t port = 1;
  CHECK(chipmunk::parseHostPort("127.0.0.1:8080", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 8080);
  CHECK(chipmunk::parseHostPort("[::]:0", host, port));
  CHECK(host == "::");
  CHECK(port == 0);
  CHECK(chipmunk::parseHostPort("localhost:80", host, port));
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80",
                          "[1.2.3.4]:80", "example.com:80", ":80", "127.0.0.1:8o"}) {
    INFO(bad);
    CHECK_FALSE(chipmunk::parseHostPort(bad, host, port));
  }
}

TEST_CASE("Unit: host addresses, and the one rule for what is stored or published",
          "[config][unit]") {
  // Never any host's address, whatever allow_private says.
  for (const char* never :
       {"0.0.0.0", "0.255.1.2", "255.255.255.255", "240.0.0.1", "224.0.0.1", "239.255.255.250",
        "169.254.10.1", "::", "::0.0.0.2", "::1.2.3.4", "::ffff:0.0.0.0", "::ffff:224.0.0.1",
        "ff02::1", "ff0e::1", "fe80::1", "febf::1", "100::1", "1::1"}) {
    INFO(never);
    const auto ip = IpAddress::parse(never);
    REQUIRE(ip);
    CHECK_FALSE(ip->isHostAddress());
    CHECK_FALSE(chipmunk::isPublishable(*ip, true));
    CHECK_FALSE(chipmunk::isPublishable(*ip, false));
  }
  // A LAN's, a test bed's or this machine's: only when private addresses are allowed.
  for (const char* lan : {"10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "100.64.0.1",
                          "192.0.2.5", "198.51.100.1", "203.0.113.9", "::1", "fd00::1",
                          "2001:db8::1", "64:ff9b::c000:201", "64:ff9b:1::1", "fec0::1"}) {
    INFO(lan);
    const auto ip = IpAddress::parse(lan);
    REQUIRE(ip);
    CHECK(ip->isHostAddress());
    CHECK(chipmunk::isPublishable(*ip, true));
    CHECK_FALSE(chipmunk::isPublishable(*ip, false));
  }
  for (const char* world : {"8.8.8.8", "1.1.1.1", "2a00:1450:4001:80b::200e", "223.255.255.254",
                            "1.0.0.0", "169.253.255.255", "169.255.0.1"}) {
    INFO(world);
    CHECK(chipmunk::isPublishable(*IpAddress::parse(world), false));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
