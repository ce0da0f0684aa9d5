// SPDX-License-Identifier: MIT
#pragma once

// The WireGuard mesh as chipmunk-api shows it: the records of a /hosts page, the endpoint
// rule (LAN when behind the same gateway, else public) and what an interface publishes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "updater/gateway.hpp"
#include "updater/wg_tool.hpp"

namespace chipmunk::updater {

// One record of /hosts, the fields the mesh reads (unchecked fields are ignored; a record
// whose fields do not parse is left out).
struct MeshRecord {
  std::string name;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  bool expired = false;
  std::string publicKey;  // wg_public_key
  uint16_t listenPort = 0;
  uint16_t publicPort = 0;  // wg_public_port, 0 when not published
  std::string wgAddress;
  std::optional<IpAddress> lanIp;
  std::string gatewayMac;  // lower case
};

// One page of GET /hosts: its records, the cursor of the next page (empty: last page) and
// the version the watch waits on. False with `error` when the body is not such a page.
struct HostsPage {
  std::vector<MeshRecord> records;
  std::string next;
  std::string version;
};
bool parseHostsPage(const std::string& body, HostsPage& page, std::string& error);

// Where we are, for the endpoint rule.
struct MeshSelf {
  std::string publicKey;
  std::optional<GatewayInfo> gateway;  // lanIp, lanPrefix, mac
  bool hasIPv6 = false;                // our own record has an IPv6 address
  bool preferIPv6 = false;
};

// The endpoint of `peer`: lan_ip:wg_listen_port when it sits behind our gateway (same MAC,
// lan_ip inside our LAN prefix), else its public address (IPv6 when preferred and both sides
// have one; IPv4 otherwise, IPv6 when it has nothing else and we have IPv6) with
// wg_public_port, or wg_listen_port. Nullopt for an expired record or one without a port or
// address.
std::optional<WgEndpoint> chooseEndpoint(const MeshSelf& self, const MeshRecord& peer);

// The metadata an interface publishes, as /set query fields in a fixed order.
using PublishFields = std::vector<std::pair<std::string, std::string>>;
// "key=value&..." (values URL-encoded).
std::string encodeQuery(const PublishFields& fields);

}  // namespace chipmunk::updater
