// SPDX-License-Identifier: MIT
#pragma once

// A fake of the IONOS Hosting DNS API v1, for tests and manual trials. It follows
// https://developer.hosting.ionos.com/docs/dns :
//   - X-API-Key: PREFIX.SECRET; a wrong key is 401 [{"code":"UNAUTHORIZED","message":
//     "The customer is not authorized to do this operation."}]
//   - GET /dns/v1/zones -> [{"name","id","type":"NATIVE"}]
//   - GET /dns/v1/zones/ZONE_ID?recordName=&recordType= -> {"name","id","type","records":[
//     {"name","rootName","type","content","changeDate","ttl","prio","disabled","id"}]}
//   - PUT /dns/v1/zones/ZONE_ID/records/RECORD_ID {"content","ttl","prio","disabled"}: every
//     field is set from the body (left out: ttl 3600, prio 0, disabled false) -> 200
//   - POST /dns/v1/zones/ZONE_ID/records [{...}] -> 201
//   - an unknown zone or record is 404 [{"code":"NOT_FOUND","message":"..."}]
//   - failNext() serves 429 (with or without Retry-After), 5xx and broken bodies
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeIonos {
 public:
  struct DnsRecord {
    std::string id;
    std::string zone;  // zone name
    std::string name;  // fully qualified
    std::string type;
    std::string content;
    long long ttl = 3600;
    long long prio = 0;
    bool disabled = false;
  };

  explicit FakeIonos(std::string key = "prefix.secret");
  ~FakeIonos();

  std::string endpoint() const;                  // http://127.0.0.1:PORT/dns/v1
  std::string addZone(const std::string& name);  // returns the zone id
  std::string addRecord(DnsRecord record);       // returns the record id
  std::optional<DnsRecord> record(const std::string& name, const std::string& type) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse zones() const;
  FakeResponse records(const std::string& zone, const std::string& zoneId,
                       const FakeRequest& request) const;
  FakeResponse change(const std::string& zone, const std::string& path, const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string key_;
  std::vector<std::pair<std::string, std::string>> zones_;  // name, id
  std::vector<DnsRecord> records_;
  FailureQueue failures_;
  int nextId_ = 1;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
