// SPDX-License-Identifier: MIT
// The WireGuard mesh's parts without a network: `wg show dump` as wireguard-tools prints it
// (shapes taken from wg 1.0.20210914 over wireguard-go), the endpoint rule, the gateway from
// /proc fixtures, /hosts pages and the [wireguard:IFACE] section.
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "updater/mesh_records.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;

const std::string kKeyA = "THGweiqOlITMqtwbfx6PDmQh2CCc+2LP8iZhTIKtSWM=";
const std::string kKeyB = "NsXBXDa+O1YTFhSfkkTobp5jTksLK47nTjIjNwkr0hI=";
const std::string kKeyC = "G625w1zAUy8u3TNrG+9j35I8EzV5U22HlBH+45Yo/Vk=";
const std::string kKeyD = "IwxjnE2SSg1OM7dF7v9JlRX/lD2PkqjOcuc8fDF7SBU=";

// A real dump: the interface line, then peers with an IPv4 endpoint, an IPv6 one in
// brackets, and none.
const std::string kDump =
    "OJk0G+9xWqdssy00KeXEke9PKaRtmVYC5Opd6uVt6Ec=\t" + kKeyA + "\t51820\toff\n" + kKeyB +
    "\t(none)\t192.0.2.7:51820\t10.9.0.2/32,10.9.1.0/24\t0\t0\t0\toff\n" + kKeyC +
    "\t(none)\t[2001:db8::5]:4000\tfd00::2/128\t1700000000\t92\t180\t25\n" + kKeyD +
    "\t(none)\t(none)\t(none)\t0\t0\t0\toff\n";

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

TEST_CASE("WireGuard: wg show dump parses as wg prints it", "[updater][unit]") {
  std::string error;
  const auto dump = parseWgDump(kDump, error);
  REQUIRE(dump);
  CHECK(dump->publicKey == kKeyA);
  CHECK(dump->listenPort == 51820);
  REQUIRE(dump->peers.size() == 3);
  CHECK(dump->peers[0].publicKey == kKeyB);
  REQUIRE(dump->peers[0].endpoint);
  CHECK(dump->peers[0].endpoint->toString() == "192.0.2.7:51820");
  CHECK(dump->peers[0].allowedIps == std::vector<std::string>{"10.9.0.2/32", "10.9.1.0/24"});
  REQUIRE(dump->peers[1].endpoint);
  CHECK(dump->peers[1].endpoint->ip == ip("2001:db8::5"));
  CHECK(dump->peers[1].endpoint->toString() == "[2001:db8::5]:4000");
  CHECK_FALSE(dump->peers[2].endpoint);
  CHECK(dump->peers[2].allowedIps.empty());
  // The private key is never kept anywhere in the result.
  CHECK(dump->publicKey.find("OJk0G") == std::string::npos);
}

TEST_CASE("WireGuard: a dump that is not what wg prints is refused whole", "[updater][unit]") {
  std::string error;
  CHECK_FALSE(parseWgDump("", error));
  CHECK_FALSE(parseWgDump("Unable to access interface: No such device\n", error));
  CHECK_FALSE(parseWgDump("x\t" + kKeyA + "\t70000\toff\n", error));  // port out of range
  CHECK_FALSE(parseWgDump("x\tnot-a-key\t51820\toff\n", error));
  const std::string head = "x\t" + kKeyA + "\t51820\toff\n";
  CHECK(parseWgDump(head, error));
  CHECK_FALSE(parseWgDump(head + kKeyB + "\t(none)\t(none)\t(none)\t0\t0\n", error));  // short
  CHECK_FALSE(parseWgDump(head + kKeyB + "\t(none)\t(none)\t10.0.0.0/99\t0\t0\t0\toff\n", error));
  CHECK_FALSE(parseWgDump(head + std::string(5000, 'a') + "\n", error));
  // An endpoint that does not parse is "none", not an error: the peer is still listed.
  const auto odd = parseWgDump(head + kKeyB + "\t(none)\thost:x\t(none)\t0\t0\t0\toff\n", error);
  REQUIRE(odd);
  CHECK_FALSE(odd->peers[0].endpoint);
  CHECK(parseWgEndpoint("[fe80::1%eth0]:51820"));
  CHECK_FALSE(parseWgEndpoint("2001:db8::1:51820"));  // IPv6 without brackets
  CHECK_FALSE(parseWgEndpoint("192.0.2.1:0"));
}

TEST_CASE("WireGuard: the endpoint rule, LAN behind the same gateway, else public",
          "[updater][unit]") {
  MeshSelf self;
  self.publicKey = kKeyA;
  self.gateway =
      GatewayInfo{"eth0", ip("192.168.1.1"), ip("192.168.1.10"), 24, "aa:bb:cc:dd:ee:ff"};
  self.hasIPv6 = true;
  MeshRecord base;
  base.publicKey = kKeyB;
  base.listenPort = 51820;
  base.ipv4 = ip("198.51.100.2");
  base.ipv6 = ip("2001:db8::2");
  base.lanIp = ip("192.168.1.20");
  base.gatewayMac = "aa:bb:cc:dd:ee:ff";
  struct Row {
    const char* what;
    std::function<void(MeshRecord&, MeshSelf&)> change;
    const char* expected;  // "" : no endpoint
  };
  const std::vector<Row> rows = {
      {"same gateway, LAN address in our prefix", [](MeshRecord&, MeshSelf&) {},
       "192.168.1.20:51820"},
      {"another gateway", [](MeshRecord& r, MeshSelf&) { r.gatewayMac = "aa:bb:cc:dd:ee:00"; },
       "198.51.100.2:51820"},
      {"same MAC but the LAN address is outside our prefix",
       [](MeshRecord& r, MeshSelf&) { r.lanIp = ip("192.168.2.20"); }, "198.51.100.2:51820"},
      {"our gateway MAC unknown", [](MeshRecord&, MeshSelf& s) { s.gateway->mac.clear(); },
       "198.51.100.2:51820"},
      {"public, the forwarded port wins",
       [](MeshRecord& r, MeshSelf&) {
         r.gatewayMac.clear();
         r.publicPort = 40000;
       },
       "198.51.100.2:40000"},
      {"prefer ipv6, both have it",
       [](MeshRecord& r, MeshSelf& s) {
         r.gatewayMac.clear();
         s.preferIPv6 = true;
       },
       "[2001:db8::2]:51820"},
      {"prefer ipv6, we have none",
       [](MeshRecord& r, MeshSelf& s) {
         r.gatewayMac.clear();
         s.preferIPv6 = true;
         s.hasIPv6 = false;
       },
       "198.51.100.2:51820"},
      {"it has IPv6 only",
       [](MeshRecord& r, MeshSelf&) {
         r.gatewayMac.clear();
         r.ipv4.reset();
       },
       "[2001:db8::2]:51820"},
      {"expired: pointed nowhere new", [](MeshRecord& r, MeshSelf&) { r.expired = true; }, ""},
      {"no listen port", [](MeshRecord& r, MeshSelf&) { r.listenPort = 0; }, ""},
      {"no address at all",
       [](MeshRecord& r, MeshSelf& s) {
         r.gatewayMac.clear();
         r.ipv4.reset();
         s.hasIPv6 = false;
       },
       ""},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    MeshRecord r = base;
    MeshSelf s = self;
    row.change(r, s);
    const auto endpoint = chooseEndpoint(s, r);
    CHECK((endpoint ? endpoint->toString() : "") == row.expected);
  }
}

TEST_CASE("WireGuard: the default gateway and its MAC from /proc fixtures", "[updater][unit]") {
  // /proc/net/route: a default route on wg0 (skipped), the real one on eth0 (metric 100),
  // and a worse one on wlan0.
  const std::string route =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
      "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "wlan0\t00000000\t0100000A\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
      "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
  auto gw = defaultRouteV4(route, "wg0");
  REQUIRE(gw);
  CHECK(gw->interface == "eth0");
  CHECK(gw->gateway == ip("192.168.1.1"));
  const std::string arp =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "192.168.1.5      0x1         0x0         00:00:00:00:00:00     *        eth0\n"
      "192.168.1.1      0x1         0x2         AA:BB:CC:00:11:22     *        eth0\n"
      "192.168.1.1      0x1         0x2         de:ad:be:ef:00:01     *        wlan0\n";
  CHECK(arpLookup(arp, gw->gateway, "eth0") == "aa:bb:cc:00:11:22");
  CHECK(arpLookup(arp, ip("192.168.1.5"), "eth0").empty());  // incomplete
  // Fields that are not what the kernel prints are skipped, never thrown on (found by fuzzing).
  CHECK(arpLookup("192.168.1.1 0x1 zz aa:bb:cc:00:11:22 * eth0\n", gw->gateway, "eth0").empty());
  pickLanAddress(
      *gw,
      {{"lo", ip("127.0.0.1"), 8}, {"eth0", ip("10.1.1.1"), 24}, {"eth0", ip("192.168.1.10"), 24}});
  REQUIRE(gw->lanIp);
  CHECK(*gw->lanIp == ip("192.168.1.10"));
  CHECK(gw->lanPrefix == 24);
  CHECK_FALSE(defaultRouteV4("garbage\nIface\n\t\t\t", ""));
  // /proc/net/ipv6_route: the default route through fe80::1 on eth0.
  const std::string route6 =
      "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0\n";
  const auto gw6 = defaultRouteV6(route6, "wg0");
  REQUIRE(gw6);
  CHECK(gw6->gateway == ip("fe80::1"));
  CHECK(gw6->interface == "eth0");
  CHECK_FALSE(defaultRouteV6(route6, "eth0"));
}

TEST_CASE("WireGuard: a /hosts page gives the mesh records", "[updater][unit]") {
  const std::string body =
      R"({"hosts":[{"name":"b","ipv4":"198.51.100.2","ipv6":null,"expired":false,)"
      R"("metadata":{"wg_public_key":")" +
      kKeyB +
      R"(","wg_listen_port":"51820","lan_ip":"192.168.1.20","gateway_mac":"AA:BB:CC:DD:EE:FF",)"
      R"("wg_public_port":"40000","wg_address":"10.8.0.2"}},)"
      R"({"name":"c","ipv4":null,"ipv6":null,"expired":true,"metadata":{"wg_public_key":"bad"}},)"
      R"({"name":"d","ipv4":"not an ip","metadata":{"wg_listen_port":"99999"}}],)"
      R"("next":"abc","version":"7"})";
  HostsPage page;
  std::string error;
  REQUIRE(parseHostsPage(body, page, error));
  CHECK(page.next == "abc");
  CHECK(page.version == "7");
  REQUIRE(page.records.size() == 3);
  CHECK(page.records[0].publicKey == kKeyB);
  CHECK(page.records[0].gatewayMac == "aa:bb:cc:dd:ee:ff");
  CHECK(page.records[0].publicPort == 40000);
  CHECK(page.records[1].expired);
  CHECK(page.records[1].publicKey.empty());
  CHECK_FALSE(page.records[2].ipv4);
  CHECK(page.records[2].listenPort == 0);
  CHECK_FALSE(parseHostsPage("[1,2]", page, error));
  CHECK_FALSE(parseHostsPage(R"({"hosts":{}})", page, error));
}

TEST_CASE("WireGuard: wireguard:IFACE sections load, with file:line errors", "[updater][unit]") {
  test::TempDir dir;
  const auto load = [&](const std::string& text, config::UpdaterConfig& c,
                        std::vector<std::string>& errors) {
    test::writeFile(dir.file("u.ini"), text);
    return loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors);
  };
  const std::string server =
      "[Global]\nupdate_dns = no\n[ChipmunkAPIServer]\nendpoint = https://ip.example.net/set\n"
      "username = alice\npassword = pw\nmethod = set\n";
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  REQUIRE(load(server + "[wireguard:wg0]\nprefer = ipv6\nadd_peers = host\npublic_port = 40000\n",
               c, errors));
  REQUIRE(c.wireguard.size() == 1);
  const auto& wg = c.wireguard[0];
  CHECK(wg.interface == "wg0");
  CHECK(wg.publish);
  CHECK(wg.sync);
  CHECK(wg.preferIPv6);
  CHECK(wg.addPeers == "host");
  CHECK(wg.publicPort == 40000);
  CHECK(wg.watch == std::chrono::seconds(30));
  CHECK(wg.apiUser == "alice");
  CHECK(chipmunkBaseUrl(wg.apiUrl) == "https://ip.example.net");

  errors.clear();
  CHECK_FALSE(load(server + "[wireguard:wg0/x]\n", c, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("u.ini:8: [wireguard:wg0/x] is not an interface name") != std::string::npos);
  errors.clear();
  CHECK_FALSE(load(server + "[wireguard:wg0]\nwatch = 61\naddress = 0.0.0.0\n", c, errors));
  CHECK(errors.size() == 2);
  errors.clear();
  CHECK_FALSE(load("[Global]\nupdate_dns = no\n[wireguard:wg0]\n", c, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("needs [ChipmunkAPIServer] endpoint") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
