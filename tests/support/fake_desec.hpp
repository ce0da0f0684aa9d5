// SPDX-License-Identifier: MIT
#pragma once

// A fake of the deSEC REST API v1 RRset calls, for tests and manual trials. It follows
// https://desec.readthedocs.io/en/latest/dns/rrsets.html and .../rate-limits.html :
//   - Authorization: Token TOKEN; a wrong one is 401 {"detail":"Invalid token."}
//   - GET /api/v1/domains/DOMAIN/rrsets/SUBNAME/TYPE/ ("@" for the apex) -> 200 {"created",
//     "domain","subname","name","type","ttl","records":[...],"touched"}; 404
//     {"detail":"Not found."} when the RRset or the domain is not the account's
//   - PATCH the same URL: fields sent replace theirs (records, ttl), others stay -> 200
//   - POST /api/v1/domains/DOMAIN/rrsets/ {"subname","type","ttl","records"} -> 201; a TTL
//     below the domain's minimum_ttl (3600) is 400 {"ttl":["Ensure this value is greater than
//     or equal to 3600."]}
//   - failNext() serves 429 {"detail":"Request was throttled. Expected available in N
//     seconds."} with or without Retry-After, 5xx and broken bodies
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeDesec {
 public:
  struct RRset {
    long long ttl = 3600;
    std::vector<std::string> records;
  };

  explicit FakeDesec(std::string token = "desec-token");
  ~FakeDesec();

  std::string endpoint() const;  // http://127.0.0.1:PORT/api/v1
  void addDomain(const std::string& domain);
  // `subname` empty for the apex.
  void setRRset(const std::string& domain, const std::string& subname, const std::string& type,
                RRset rrset);
  std::optional<RRset> rrset(const std::string& domain, const std::string& subname,
                             const std::string& type) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string token_;
  // domain -> "subname TYPE" -> RRset
  std::map<std::string, std::map<std::string, RRset>> domains_;
  FailureQueue failures_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
