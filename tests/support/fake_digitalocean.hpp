// SPDX-License-Identifier: MIT
#pragma once

// A fake of the DigitalOcean API v2 domain-record calls, for tests and manual trials. It
// follows https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records :
//   - Authorization: Bearer TOKEN; a wrong one is 401 {"id":"unauthorized","message":
//     "Unable to authenticate you"}
//   - GET /v2/domains/DOMAIN/records?type=&name=FQDN&page=&per_page= ->
//     {"domain_records":[{"id","type","name" (relative, "@" for the apex),"data","priority",
//     "port","ttl","weight","flags","tag"}],"links":{"pages":{"next":URL}},"meta":{"total"}}
//   - PATCH /v2/domains/DOMAIN/records/ID: fields not sent keep their values -> 200
//   - POST /v2/domains/DOMAIN/records -> 201 {"domain_record":{...}}
//   - an unknown domain or record is 404 {"id":"not_found","message":"The resource you were
//     accessing could not be found."}
//   - failNext() serves 429 (with Retry-After, or ratelimit-reset only), 5xx, broken bodies;
//     setPageSize() caps per_page and ignoreNameFilter() makes listings page through every
//     record of the type, as a server that ignores part of the query would
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeDigitalOcean {
 public:
  struct DnsRecord {
    long long id = 0;
    std::string type;
    std::string name;  // relative; "@" for the apex
    std::string data;
    long long ttl = 1800;
    int priority = 0;  // kept to check that an update leaves it alone
    std::string tag;
  };

  explicit FakeDigitalOcean(std::string token = "do-test-token");
  ~FakeDigitalOcean();

  std::string endpoint() const;  // http://127.0.0.1:PORT/v2
  void addDomain(const std::string& domain);
  long long addRecord(const std::string& domain, DnsRecord record);
  std::optional<DnsRecord> record(const std::string& domain, const std::string& type,
                                  const std::string& name) const;
  void setPageSize(int size);
  void ignoreNameFilter(bool on);
  void failNext(int status, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {});
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse list(const std::string& domain, const std::vector<DnsRecord>& records,
                    const FakeRequest& request) const;
  FakeResponse change(std::vector<DnsRecord>& records, const std::string& idPart,
                      const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string token_;
  std::map<std::string, std::vector<DnsRecord>> domains_;
  FailureQueue failures_;
  int pageSize_ = 200;
  bool ignoreName_ = false;
  long long nextId_ = 3352890;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
