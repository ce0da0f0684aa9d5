// SPDX-License-Identifier: MIT
#pragma once

// Where this machine sits: the LAN address of the route to the default gateway, that LAN's
// prefix and the gateway's MAC address, from the kernel's tables (/proc/net/route and
// /proc/net/arp; /proc/net/ipv6_route and the netlink neighbour table when there is no
// IPv4 default route). Two WireGuard peers behind the same gateway talk over the LAN.

#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace chipmunk::updater {

// An interface address with its prefix length.
struct LocalAddress {
  std::string interface;
  IpAddress ip;
  int prefix = 0;
};

struct GatewayInfo {
  std::string interface;
  IpAddress gateway;
  std::optional<IpAddress> lanIp;  // our address on the gateway's network
  int lanPrefix = 0;
  std::string mac;  // "aa:bb:cc:dd:ee:ff" (lower case); empty when not in the table yet
};

// Every IPv4 and IPv6 address of every interface (getifaddrs).
std::vector<LocalAddress> localAddresses();

// The IPv4 default route with the lowest metric in a /proc/net/route text, skipping
// `skipInterface` (the WireGuard interface: a route through the tunnel is no gateway).
std::optional<GatewayInfo> defaultRouteV4(const std::string& routeText,
                                          const std::string& skipInterface);
// The same for /proc/net/ipv6_route.
std::optional<GatewayInfo> defaultRouteV6(const std::string& routeText,
                                          const std::string& skipInterface);
// The MAC of `ip` on `interface` in a /proc/net/arp text ("" when absent or incomplete).
std::string arpLookup(const std::string& arpText, const IpAddress& ip,
                      const std::string& interface);
// Fills lanIp and lanPrefix: the address of the gateway's interface whose prefix holds the
// gateway (else its first address of that family).
void pickLanAddress(GatewayInfo& info, const std::vector<LocalAddress>& addresses);
// True when `ip` is inside `lan`'s prefix.
bool sameLan(const IpAddress& lanIp, int prefix, const IpAddress& ip);

// All of the above on this machine; nullopt when there is no default route.
std::optional<GatewayInfo> discoverGateway(const std::string& skipInterface);

}  // namespace chipmunk::updater
