// SPDX-License-Identifier: MIT
// What the WireGuard mesh reads from others (updater/wg_tool.cpp, updater/mesh_records.cpp,
// updater/gateway.cpp): `wg show dump` output, a /hosts page from chipmunk-api, and the
// kernel's route and neighbour tables, each a part of the input split at "\n#####\n"; then
// the endpoint rule over every record the page gave.
#include "tests/fuzz/fuzz_support.hpp"
#include "updater/gateway.hpp"
#include "updater/mesh_records.hpp"
#include "updater/wg_tool.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::updater;
  const auto parts = fuzz::splitResponses(data, size);
  const auto part = [&](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  std::string error;
  MeshSelf self;
  if (const auto dump = parseWgDump(part(0), error)) {
    self.publicKey = dump->publicKey;
    for (const auto& peer : dump->peers) {
      if (peer.endpoint) {
        peer.endpoint->toString();
      }
    }
  }
  self.gateway = defaultRouteV4(part(2), "wg0");
  if (!self.gateway) {
    self.gateway = defaultRouteV6(part(2), "wg0");
  }
  if (self.gateway) {
    self.gateway->mac = arpLookup(part(3), self.gateway->gateway, self.gateway->interface);
    pickLanAddress(*self.gateway, {{self.gateway->interface, *IpAddress::parse("192.168.1.10"), 24},
                                   {self.gateway->interface, *IpAddress::parse("fd00::10"), 64}});
  }
  HostsPage page;
  if (parseHostsPage(part(1), page, error)) {
    for (const bool v6 : {false, true}) {
      self.preferIPv6 = v6;
      self.hasIPv6 = v6;
      for (const auto& record : page.records) {
        if (const auto endpoint = chooseEndpoint(self, record)) {
          endpoint->toString();
        }
      }
    }
  }
  return 0;
}
