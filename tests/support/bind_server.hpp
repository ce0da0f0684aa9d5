// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

// A real BIND 9 (`named -g`, Debian's bind9) on 127.0.0.1 and a free port, serving one
// primary zone from a temporary directory. The zone accepts RFC 2136 updates of A and
// AAAA records signed with a TSIG key made by `tsig-keygen` at start. Stopped (SIGTERM,
// then SIGKILL) on destruction.
class BindServer {
 public:
  // `records` are zone-file lines added after the SOA and NS ("home IN A 192.0.2.1").
  explicit BindServer(std::string zone = "example.test", std::string algorithm = "hmac-sha256",
                      std::string records = "");
  ~BindServer();
  BindServer(const BindServer&) = delete;
  BindServer& operator=(const BindServer&) = delete;

  // Before start(): one more primary zone, of class IN or CH (records are zone-file lines
  // after the SOA and NS, "myip IN A 192.0.2.1"). A CH zone puts every zone in a view of
  // its class (BIND serves non-IN classes from views only). Also makes named listen on ::1
  // (same port), for questions over IPv6.
  void addZone(const std::string& name, const std::string& klass, const std::string& records);

  // Generates the key, writes the config and zone, starts named and waits until it answers.
  // False (see log()) when named is missing or does not come up.
  bool start();
  void stop();

  int port() const { return port_; }
  const std::string& zone() const { return zone_; }
  const std::string& keyName() const { return keyName_; }
  const std::string& keySecret() const { return keySecret_; }
  const std::string& algorithm() const { return algorithm_; }
  std::string log() const;

  // `dig @127.0.0.1 -p PORT +short NAME TYPE`, lines sorted and joined with ' ' ("" if none).
  std::string dig(const std::string& name, const std::string& type) const;
  // Runs nsupdate against this server, signed with the zone's key: `commands` as nsupdate
  // reads them ("update delete home.example.test A\nupdate add ..."; "server" and "send"
  // are added). True when nsupdate exits 0.
  bool nsupdate(const std::string& commands) const;
  // How many queries for NAME TYPE without recursion desired (RD clear: not dig's) the
  // query log holds.
  int authoritativeQueries(const std::string& name, const std::string& type) const;
  // The TTL of the first answer to NAME TYPE, or -1.
  long digTtl(const std::string& name, const std::string& type) const;

 private:
  std::string zonesConf();  // the zone statements (in views when a zone is not IN)

  TempDir dir_;
  std::string zone_;
  std::string algorithm_;
  std::string records_;
  struct ExtraZone {
    std::string name, klass, records;
  };
  std::vector<ExtraZone> extraZones_;
  std::string keyName_ = "chipmunk-key";
  std::string keySecret_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> named_;
};

}  // namespace chipmunk::test
