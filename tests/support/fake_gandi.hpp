// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Gandi LiveDNS API v5 RRset calls, for tests and manual trials. It follows
// https://api.gandi.net/docs/livedns/ and https://api.gandi.net/docs/authentication/ :
//   - Authorization: Bearer PAT; an unknown token is 401 {"code":401,"message":"The server
//     could not verify that you are authorized...","object":"HTTPUnauthorized",
//     "cause":"Unauthorized"}; a token without the domain's permission is 403
//   - GET /v5/livedns/domains/FQDN/records/NAME/TYPE -> {"rrset_name","rrset_type",
//     "rrset_ttl","rrset_values":[...],"rrset_href"}; 404 {"code":404,"message":"Can't find
//     the DNS record ...","object":"dns-record","cause":"Not Found"}
//   - PUT the same URL {"rrset_values":[...],"rrset_ttl":N} creates or replaces the RRset
//     (rrset_ttl left out: 10800) -> 201 {"message":"DNS Record Created"}
//   - an unknown domain is 404 for both
//   - failNext() serves 429 (with or without Retry-After), 5xx, broken bodies
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeGandi {
 public:
  struct RRset {
    long long ttl = 10800;
    std::vector<std::string> values;
  };

  explicit FakeGandi(std::string token = "gandi-pat");
  ~FakeGandi();

  std::string endpoint() const;  // http://127.0.0.1:PORT/v5/livedns
  void addDomain(const std::string& domain, bool allowed = true);
  void setRRset(const std::string& domain, const std::string& name, const std::string& type,
                RRset rrset);
  std::optional<RRset> rrset(const std::string& domain, const std::string& name,
                             const std::string& type) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string token_;
  std::map<std::string, bool> allowed_;                          // domain -> permission
  std::map<std::string, std::map<std::string, RRset>> domains_;  // "name TYPE" -> RRset
  FailureQueue failures_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
