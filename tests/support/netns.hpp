// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

// Why network-namespace tests cannot run here ("" when they can): not root, `ip netns`
// refused, or a program missing (ip, nft, and with `wireguard` also wg, wireguard-go and
// /dev/net/tun). Tests print it with WARN and return.
std::string netnsSkipReason(bool wireguard);

// The absolute path of a program found in $PATH, /usr/sbin or /sbin ("" when none).
std::string findProgram(const std::string& name);

// Runs `body` on a thread that has joined the named network namespace (/var/run/netns/NAME;
// setns affects only that thread): the sockets it opens live there. Exceptions (a failed
// REQUIRE) are passed on.
void inNetworkNamespace(const std::string& name, const std::function<void()>& body);

// A small network built from namespaces, veth pairs, bridges and nftables rules. Every
// namespace is named prefix + pid + "-" + short name, so parallel runs and leftovers of a
// killed run never collide. The destructor stops every process started with spawn() (by
// PID: SIGTERM, then SIGKILL after 5 s) and deletes the namespaces (which deletes the
// veths, bridges and nftables rules inside them), also when the test failed.
class NetLab {
 public:
  explicit NetLab(const std::string& prefix);
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  const TempDir& dir() const { return dir_; }
  // The full name of namespace `shortName`.
  std::string ns(const std::string& shortName) const;
  // A network interface name unique on this machine (at most 15 characters), for devices
  // whose name is global, such as a wireguard-go interface (its UAPI socket lives in the
  // shared /var/run/wireguard).
  std::string uniqueIfName(const std::string& shortName) const;

  void addNamespace(const std::string& shortName);
  // A veth pair: `ifA` in namespace `a`, `ifB` in `b`, both up.
  void addVeth(const std::string& a, const std::string& ifA, const std::string& b,
               const std::string& ifB);
  void addBridge(const std::string& nsName, const std::string& bridge,
                 const std::vector<std::string>& ports);
  void addAddress(const std::string& nsName, const std::string& ifName, const std::string& cidr);
  void delAddress(const std::string& nsName, const std::string& ifName, const std::string& cidr);
  void setDefaultRoute(const std::string& nsName, const std::string& via);
  // A NAT router: IPv4 forwarding on, masquerade of what leaves through `wanIf`.
  void masquerade(const std::string& nsName, const std::string& wanIf);
  // Port forwarding on a router made by masquerade(): UDP arriving on `wanIf` for `port`
  // goes to toIp:toPort (DNAT). Matches the interface, not its address, so it survives an
  // address change.
  void forwardUdp(const std::string& nsName, const std::string& wanIf, int port,
                  const std::string& toIp, int toPort);
  std::string macAddress(const std::string& nsName, const std::string& ifName);

  // `ip -n NS ARGS...`; throws with ip's error output when it fails.
  void ip(const std::string& nsName, const std::vector<std::string>& args);
  // Runs argv inside the namespace to completion (bounded by `timeout`); returns the exit
  // status, with stdout in `out` when given.
  int run(const std::string& nsName, const std::vector<std::string>& argv,
          std::string* out = nullptr, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Like run() but throws (with the output) unless the status is 0; returns stdout.
  std::string check(const std::string& nsName, const std::vector<std::string>& argv);
  // Starts argv inside the namespace (`ip netns exec`, which execs it: the PID is the
  // program's); output to dir()/<logName>.out and .err. Stopped by the destructor.
  ChildProcess& spawn(const std::string& nsName, const std::vector<std::string>& argv,
                      const std::string& logName);
  std::string logOf(const std::string& logName) const;

  // inNetworkNamespace() for namespace `nsName` of this lab.
  void inNamespace(const std::string& nsName, const std::function<void()>& f) const;
  // ICMP echo from the namespace to `dst` (IPv4): one request every 200 ms until a reply
  // comes or `timeout` passes. True when a reply came.
  bool ping(const std::string& nsName, const std::string& dst,
            std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  std::string base_;
  TempDir dir_;
  std::string ipBin_;
  std::vector<std::string> namespaces_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
  void removeLeftovers(const std::string& prefix);
};

}  // namespace chipmunk::test
