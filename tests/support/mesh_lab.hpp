// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/netns.hpp"

namespace chipmunk::test {

// A "small internet" on one machine for the WireGuard mesh tests (docs/WIREGUARD.md,
// "How the namespace test is built"), documentation addresses only:
//
//   inet: bridge 198.51.100.254/24 + chipmunk-api on 203.0.113.10:8080; drops traffic of
//         addresses taken away (renumberRouterB)
//   ra (router A): wan 198.51.100.1, lan 192.168.1.1/24, masquerade,
//                  UDP 51821 -> a1, 51822 -> a2
//       a1 192.168.1.11 (wg 10.77.0.1, port 51821)   a2 192.168.1.12 (10.77.0.2, 51822)
//   rb (router B): wan 198.51.100.2 (changeable), lan 192.168.2.1/24, masquerade,
//                  UDP 51823 -> c, 51824 -> d
//       c 192.168.2.11 (10.77.0.3, 51823)            d 192.168.2.12 (10.77.0.4, 51824)
//
// Every peer's wireguard-go interface has its own machine-wide name.
struct MeshPeer {
  std::string name;  // namespace short name: a1, a2, c, d
  std::string wgIf;  // machine-unique interface name
  std::string lanIp;
  std::string wgIp;
  int port = 0;  // WireGuard listen port = the port its router forwards
  std::string privateKey;
  std::string publicKey;
};

struct WgKeyPair {
  std::string privateKey;
  std::string publicKey;
};
// A fresh key pair from `wg genkey` and `wg pubkey`.
WgKeyPair wgGenerateKeys(const TempDir& dir);

class SmallInternet {
 public:
  static constexpr const char* kApiAddress = "203.0.113.10";
  static constexpr int kApiPort = 8080;

  SmallInternet();  // namespaces, links, routes, NAT; no WireGuard yet
  NetLab& lab() { return lab_; }
  MeshPeer& peer(const std::string& name);
  std::string routerBAddress() const { return routerB_; }
  std::string gatewayMac(const std::string& router);  // "ra" or "rb": its LAN-side MAC

  // Starts wireguard-go for the peer (interface up, address /24, private key, port) with
  // the named peers configured by key and allowed-ips only: no endpoints.
  void startWireGuard(const std::string& name, const std::vector<std::string>& peers);
  // Adds a peer with this public key and allowed-ips (and endpoint when not empty).
  void addWgPeer(const std::string& name, const std::string& publicKey,
                 const std::string& allowedIps, const std::string& endpoint = {});
  // `wg show IFACE dump` of the peer: public key -> endpoint ("(none)" when unset).
  std::map<std::string, std::string> endpoints(const std::string& name);
  // Polls endpoints() (every 100 ms) until the peer's endpoint for `peerName` equals
  // `endpoint`, or `timeout`; returns the last endpoint seen.
  std::string waitForEndpoint(const std::string& name, const std::string& peerName,
                              const std::string& endpoint, std::chrono::milliseconds timeout);

  // Starts chipmunk-api in the inet namespace with `sections` ([Users], [Mesh:...]) after
  // [Paths] and [Log]; false (log printed) when it does not come up within 10 s.
  bool startApi(const std::string& sections);
  std::string apiLog() const;
  // GET path from the inet namespace as user:password; returns status and body.
  std::pair<int, std::string> apiGet(const std::string& path, const std::string& user,
                                     const std::string& password);

  // The ISP gives router B a new WAN address (old one removed, default route restored).
  void renumberRouterB(const std::string& newAddress);

 private:
  NetLab lab_;
  std::vector<MeshPeer> peers_;
  std::string routerB_ = "198.51.100.2";
  void buildRouter(const std::string& router, const std::string& wan, const std::string& lan,
                   const std::vector<std::string>& hosts);
};

}  // namespace chipmunk::test
