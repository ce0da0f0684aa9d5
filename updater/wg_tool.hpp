// SPDX-License-Identifier: MIT
#pragma once

// The WireGuard interface as `wg` (wireguard-tools) shows and changes it: the kernel module
// and wireguard-go alike. The output is parsed as hostile: every line, field, key and port
// is checked, and a dump that does not parse is refused whole.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace chipmunk::updater {

// An endpoint: an address and a port (no scope: a link-local endpoint is not one of ours).
struct WgEndpoint {
  IpAddress ip;
  uint16_t port = 0;

  bool operator==(const WgEndpoint& o) const { return ip == o.ip && port == o.port; }
  bool operator!=(const WgEndpoint& o) const { return !(*this == o); }
  // "192.0.2.1:51820" or "[2001:db8::1]:51820", as `wg set ... endpoint` takes it.
  std::string toString() const;
};

struct WgPeer {
  std::string publicKey;
  std::optional<WgEndpoint> endpoint;   // none: "(none)", or one we could not read
  std::vector<std::string> allowedIps;  // as shown ("10.0.0.2/32")
};

// `wg show IFACE dump`: the interface line, then one line per peer. The private key is
// never kept.
struct WgDump {
  std::string publicKey;
  uint16_t listenPort = 0;
  std::vector<WgPeer> peers;
};

// True for a WireGuard key as wg prints it: 44 base64 characters holding 32 bytes.
bool isWgKey(const std::string& text);
// Parses "host:port" as wg prints an endpoint ("[v6%scope]:port" too); nullopt otherwise.
std::optional<WgEndpoint> parseWgEndpoint(const std::string& text);
// Parses a dump; nullopt with `error` set when any line is not what wg prints.
std::optional<WgDump> parseWgDump(const std::string& text, std::string& error);

// Runs `wg show IFACE dump` (bounded in time and output); nullopt with `error` set.
std::optional<WgDump> readWgInterface(const std::string& interface, std::string& error);
// `wg set IFACE peer KEY endpoint E [allowed-ips A]`; false with `error` set.
bool setWgPeer(const std::string& interface, const std::string& key, const WgEndpoint& endpoint,
               const std::string& allowedIps, std::string& error);

}  // namespace chipmunk::updater
