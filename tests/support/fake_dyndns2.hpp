// SPDX-License-Identifier: MIT
#pragma once

// A fake dyndns2 server, for the dyndns2 provider's presets. It follows the protocol as
//   https://help.dyn.com/remote-access-api/perform-update/ and
//   https://help.dyn.com/remote-access-api/return-codes/ describe it, and as the services
// built on it document their variants (https://www.noip.com/integrate/request,
// https://www.dynu.com/DynamicDNS/IP-Update-Protocol, https://dyndns.variomedia.de, ...):
//   GET <path>?hostname=FQDN&myip=ADDR[,ADDR][&myipv6=ADDR] with HTTP Basic auth
//   - good ADDR / nochg ADDR; badauth (wrong user or password); nohost (not the account's);
//     notfqdn (no dot); 911 with HTTP 200 while `trouble` is set
//   - a request without the path's required query (OVH: system=dyndns) or without a
//     User-Agent is answered "badagent"
//   - myip may hold "V4,V6" (Strato, Variomedia, ddclient's dual stack) and myipv6 the IPv6
//     address (No-IP, Dynu); either family in myip= alone is accepted
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace chipmunk::test {

class FakeDyndns2 {
 public:
  // `path` may hold a query the server insists on ("/nic/update?system=dyndns").
  FakeDyndns2(std::string username, std::string password, std::string path = "/nic/update");
  ~FakeDyndns2();

  std::string url() const;  // http://127.0.0.1:PORT (the "server" setting)
  void addHost(const std::string& fqdn);
  std::string ipv4(const std::string& fqdn) const;
  std::string ipv6(const std::string& fqdn) const;
  void setTrouble(bool on);  // answer 911
  // The next reply is this status and body, once (429 with Retry-After, 503...).
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  struct Entry {
    std::string ipv4;
    std::string ipv6;
  };
  FakeResponse handle(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string username_;
  std::string password_;
  std::string path_;
  std::string requiredQuery_;
  bool trouble_ = false;
  std::vector<FakeResponse> failures_;
  std::map<std::string, Entry> hosts_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
