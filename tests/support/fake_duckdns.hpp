// SPDX-License-Identifier: MIT
#pragma once

// A fake of the DuckDNS update API, for tests. It follows https://www.duckdns.org/spec.jsp:
//   GET /update?domains=A[,B]&token=T[&ip=V4][&ipv6=V6][&verbose=true][&clear=true]
//   - "domains" are sub-names of duckdns.org ("home" or "home.duckdns.org")
//   - a missing ip= is taken from the request's source address (here: 127.0.0.1)
//   - the reply is "OK" or "KO" (bad token or a domain not in the account), text/plain;
//     with verbose=true, OK is followed by lines with the IPv4, the IPv6 and UPDATED or
//     NOCHANGE
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace chipmunk::test {

class FakeDuckDns {
 public:
  explicit FakeDuckDns(std::string token = "duck-token");
  ~FakeDuckDns();

  std::string endpoint() const;  // http://127.0.0.1:PORT/update
  void addDomain(const std::string& name);
  std::string ipv4(const std::string& name) const;
  std::string ipv6(const std::string& name) const;
  std::vector<FakeRequest> requests() const;

 private:
  struct Entry {
    std::string ipv4;
    std::string ipv6;
  };
  FakeResponse handle(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string token_;
  std::map<std::string, Entry> domains_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
