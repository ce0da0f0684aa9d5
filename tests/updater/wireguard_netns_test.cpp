// SPDX-License-Identifier: MIT
// chipmunk-updater's [wireguard:IFACE] over real parts (tests/updater/wireguard_mesh.hpp):
// chipmunk-updater --once and the daemon in the host namespace, chipmunk-api on its gateway.
#include <catch2/catch.hpp>

#include <csignal>

#include "tests/updater/wireguard_mesh.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::test;
using namespace chipmunk::test::wgmesh;

TEST_CASE("WireGuard mesh: --once publishes and points peers, with the real chipmunk-api",
          "[updater][integration][serial]") {
  const auto mesh = makeMesh();
  if (!mesh) {
    return;
  }
  Mesh& m = *mesh;

  REQUIRE(m.updaterOnce() == 0);
  INFO(m.lastOnce << readFile(m.dir.file("updater.log")));
  // Published: what the interface and the kernel say.
  const auto alice = m.ask("alice", "/hosts/alice");
  REQUIRE(alice.status == 200);
  CHECK(metadata(alice.body, "wg_public_key") == m.keys["alice"]);
  CHECK(metadata(alice.body, "wg_listen_port") == "51820");
  CHECK(metadata(alice.body, "wg_address") == "10.77.0.1");
  CHECK(metadata(alice.body, "lan_ip") == "192.168.77.10");
  CHECK(metadata(alice.body, "gateway_mac") == kGatewayMac);
  // Pointed: bob over the LAN, carol at her public address, erin (no record) left alone,
  // dave (a record, not a peer) not added.
  const auto first = m.dump();
  CHECK(m.endpointOf(first, "bob") == "192.168.77.20:51821");
  CHECK(m.endpointOf(first, "carol") == "203.0.113.9:51822");
  CHECK(m.endpointOf(first, "erin") == "192.0.2.50:5000");
  CHECK(m.endpointOf(first, "dave") == "(not on the interface)");
  CHECK(first.peers.size() == 3);

  // Again: nothing changed, so nothing is published and no endpoint is set.
  REQUIRE(m.updaterOnce() == 0);
  CHECK(m.lastOnce.find("published, unchanged") != std::string::npos);
  CHECK(m.lastOnce.find(" endpoint ") == std::string::npos);
  const auto second = m.dump();
  for (const char* name : {"bob", "carol", "erin"}) {
    CHECK(m.endpointOf(second, name) == m.endpointOf(first, name));
  }
}

TEST_CASE("WireGuard mesh: the daemon follows a peer through the watch, with the real chipmunk-api",
          "[updater][integration][serial]") {
  // The interval is far away: only the watch can follow carol in time.
  const auto mesh = makeMesh("watch = 10\n");
  if (!mesh) {
    return;
  }
  Mesh& m = *mesh;
  ChildProcess daemon(
      {m.ip, "netns", "exec", m.host, CHIPMUNK_UPDATER_BIN, "--config", m.dir.file("updater.ini")},
      m.dir.file("daemon-out.txt"), m.dir.file("daemon-err.txt"));
  const auto log = [&] { return readFile(m.dir.file("updater.log")); };
  const auto count = [&](const std::string& text) {
    const std::string all = log();
    size_t n = 0;
    for (size_t pos = all.find(text); pos != std::string::npos; pos = all.find(text, pos + 1)) {
      ++n;
    }
    return n;
  };
  const auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      WARN(what << "; the daemon's log:\n" << log() << readFile(m.dir.file("daemon-err.txt")));
    }
    CHECK(ok);
    return ok;
  };
  REQUIRE(expect(m.waitForEndpoint("carol", "203.0.113.9:51822", std::chrono::seconds(20)),
                 "the first cycle did not point carol"));
  REQUIRE(expect(waitUntil([&] { return count("watch started") == 1; }, std::chrono::seconds(10)),
                 "no watch"));
  // carol's address changes (she talks from another address): followed in seconds.
  REQUIRE(m.ask("carol", "/set", "198.51.100.5").status == 200);
  expect(m.waitForEndpoint("carol", "198.51.100.5:51822", std::chrono::seconds(10)),
         "the watch did not follow carol");
  CHECK(m.endpointOf(m.dump(), "bob") == "192.168.77.20:51821");  // untouched
  // A reload restarts the watch; the next change is followed too.
  daemon.signal(SIGHUP);
  REQUIRE(expect(waitUntil([&] { return count("watch started") == 2; }, std::chrono::seconds(10)),
                 "no watch after the reload"));
  ::sleep(1);  // the new watch reads the version first
  REQUIRE(m.ask("carol", "/set", "203.0.113.9").status == 200);
  expect(m.waitForEndpoint("carol", "203.0.113.9:51822", std::chrono::seconds(10)),
         "the watch did not follow carol after the reload");
  CHECK(log().find("offers no watch") == std::string::npos);
  // SIGTERM with a watch held open: a prompt, clean exit.
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(std::chrono::seconds(5)) == 0);
  CHECK(log().find("watch stopped") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
