// SPDX-License-Identifier: MIT
// chipmunk-updater's [wireguard:IFACE] over real parts (tests/updater/wireguard_mesh.hpp):
// add_peers, and the IPv6 gateway read from a namespace's kernel tables.
#include <catch2/catch.hpp>

#include "tests/support/forked.hpp"
#include "tests/updater/wireguard_mesh.hpp"
#include "updater/gateway.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::test;
using namespace chipmunk::test::wgmesh;

TEST_CASE(
    "WireGuard mesh: the IPv6 gateway and its MAC from the kernel's route and neighbour tables",
    "[updater][integration]") {
  const std::string missing = missingPart();
  Mesh m;
  if (!missing.empty() || !m.makeNamespaces()) {
    WARN("skipped: " << (missing.empty() ? "ip netns add failed" : missing));
    return;
  }
  // No IPv4 default route: the IPv6 one, through fd77::1 whose MAC the neighbour table holds.
  const std::vector<std::vector<std::string>> steps = {
      {m.ip, "-n", m.host, "route", "del", "default"},
      {m.ip, "-n", m.host, "addr", "add", "fd77::10/64", "dev", "vh", "nodad"},
      {m.ip, "-n", m.gateway, "addr", "add", "fd77::1/64", "dev", "vg", "nodad"},
      {m.ip, "-n", m.host, "-6", "route", "add", "default", "via", "fd77::1", "dev", "vh"},
      {m.ip, "-n", m.host, "-6", "neigh", "replace", "fd77::1", "lladdr", kGatewayMac, "dev", "vh",
       "nud", "permanent"}};
  for (const auto& step : steps) {
    REQUIRE(m.run(step) == 0);
  }
  // In a child process of the namespace: /proc/net is the process's, not the thread's.
  int rc = -1;
  chipmunk::test::inNetworkNamespace(m.host, [&] {
    rc = runForked(
        [] {
          const auto gw = updater::discoverGateway("none");
          if (!gw || gw->interface != "vh" || gw->gateway != *IpAddress::parse("fd77::1")) {
            return 1;
          }
          if (gw->mac != kGatewayMac) {
            return 2;
          }
          return gw->lanIp == IpAddress::parse("fd77::10") && gw->lanPrefix == 64 ? 0 : 3;
        },
        std::chrono::seconds(10));
  });
  CHECK(rc == 0);  // 1: no route, 2: no MAC, 3: no LAN address
}

TEST_CASE(
    "WireGuard mesh: add_peers adds a record, never over a peer's allowed-ips, with the real "
    "chipmunk-api",
    "[updater][integration][serial]") {
  const auto mesh = makeMesh("add_peers = host\n");
  if (!mesh) {
    return;
  }
  Mesh& m = *mesh;
  // dave and frank are records whose keys are on no interface of ours; frank claims erin's
  // tunnel address.
  REQUIRE(m.ask("dave",
                "/set?wg_public_key=" + m.encodeKey("dave") +
                    "&wg_listen_port=51823&wg_address=10.77.0.4",
                "198.51.100.5")
              .status == 200);
  REQUIRE(m.ask("frank",
                "/set?wg_public_key=" + m.encodeKey("frank") +
                    "&wg_listen_port=51824&wg_address=10.77.0.5",
                "198.51.100.5")
              .status == 200);
  REQUIRE(m.updaterOnce() == 0);
  INFO(m.lastOnce);
  const auto d = m.dump();
  CHECK(m.endpointOf(d, "dave") == "198.51.100.5:51823");
  CHECK(m.endpointOf(d, "frank") == "(not on the interface)");
  CHECK(d.peers.size() == 4);
  for (const auto& peer : d.peers) {
    if (peer.publicKey == m.keys["dave"]) {
      CHECK(peer.allowedIps == std::vector<std::string>{"10.77.0.4/32"});
    }
    if (peer.publicKey == m.keys["erin"]) {
      CHECK(peer.allowedIps == std::vector<std::string>{"10.77.0.5/32"});  // still erin's
    }
  }
  // Again: dave is on the interface now, nothing is added or set.
  REQUIRE(m.updaterOnce() == 0);
  CHECK(m.lastOnce.find(" added") == std::string::npos);
  CHECK(m.lastOnce.find(" endpoint ") == std::string::npos);
  CHECK(m.dump().peers.size() == 4);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
