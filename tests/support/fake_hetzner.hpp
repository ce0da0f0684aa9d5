// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Hetzner DNS Console API v1, for tests and manual trials. It follows
// https://dns.hetzner.com/api-docs :
//   - Auth-API-Token: TOKEN; a wrong one is 401 {"message":"Invalid authentication
//     credentials"}
//   - GET /api/v1/zones?name= -> {"zones":[{"id","name","ttl",...}],"meta":{"pagination":
//     {...}}}; an unknown name is 404 {"zones":[],"error":{"message":"zone not found",
//     "code":404}}
//   - GET /api/v1/records?zone_id=&page=&per_page= -> {"records":[{"id","type","name",
//     "value","ttl" (only when the record has one),"zone_id"}],"meta":{"pagination":{"page",
//     "per_page","last_page","total_entries"}}}
//   - PUT /api/v1/records/ID {zone_id,type,name,value,ttl?}: replaces the record (a ttl left
//     out is dropped: the zone's applies) -> 200 {"record":{...}}
//   - POST /api/v1/records -> 200 {"record":{...}}; an invalid value is 422
//     {"record":{},"error":{"message":"422 Unprocessable Entity: invalid A record",
//     "code":422}}
//   - failNext() serves 429 (with or without Retry-After), 5xx and broken bodies;
//     setPageSize() caps per_page
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeHetzner {
 public:
  struct DnsRecord {
    std::string id;
    std::string zoneId;
    std::string type;
    std::string name;  // "@" for the apex
    std::string value;
    long long ttl = 0;  // 0: none (the zone's default)
  };

  explicit FakeHetzner(std::string token = "hetzner-token");
  ~FakeHetzner();

  std::string endpoint() const;  // http://127.0.0.1:PORT/api/v1
  std::string addZone(const std::string& name);
  std::string addRecord(DnsRecord record);
  std::optional<DnsRecord> record(const std::string& zoneId, const std::string& type,
                                  const std::string& name) const;
  void setPageSize(int size);
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse zones(const FakeRequest& request) const;
  FakeResponse records(const FakeRequest& request) const;
  FakeResponse change(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string token_;
  std::vector<std::pair<std::string, std::string>> zones_;  // name, id
  std::vector<DnsRecord> records_;
  FailureQueue failures_;
  int pageSize_ = 100;
  int nextId_ = 1;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
