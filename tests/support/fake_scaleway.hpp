// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Scaleway Domains and DNS API (v2beta1) record calls, for tests and manual
// trials. It follows https://www.scaleway.com/en/developers/api/domains-and-dns/ :
//   - X-Auth-Token: SECRET_KEY; a wrong one is 401 {"message":"authentication is denied",
//     "method":"api_key","reason":"invalid_argument","type":"denied_authentication"}
//   - GET /domain/v2beta1/dns-zones/ZONE/records?name=&type=&page=&page_size= ->
//     {"records":[{"id","data","name","priority","ttl","type","comment"}],"total_count":N};
//     an empty name filters nothing; pages from 1, page_size capped by setPageSize()
//   - PATCH /domain/v2beta1/dns-zones/ZONE/records {"changes":[{"set":{"id_fields":{"name",
//     "type"[,"data"]},"records":[...]}} | {"add":{"records":[...]}}],"return_all_records"}:
//     "set" replaces every record matching id_fields by the records given (a field left out is
//     reset: comment "", priority 0), "add" adds them; each record needs data, type and ttl
//     -> 200 {"records":[the records written]}; a bad change is 400 type invalid_arguments
//   - an unknown zone is 404 {"message":"resource is not found","resource":"dns_zone",
//     "resource_id":ZONE,"type":"not_found"}
//   - failNext() serves canned replies first (429 with X-RateLimit-* headers, 5xx, broken)
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeScaleway {
 public:
  struct DnsRecord {
    std::string id;
    std::string name;  // relative to the zone, "" for the apex
    std::string type;
    std::string data;
    long long ttl = 3600;
    long long priority = 0;
    std::string comment{};
  };

  explicit FakeScaleway(std::string secretKey = "scw-secret");
  ~FakeScaleway();

  std::string endpoint() const;  // http://127.0.0.1:PORT/domain/v2beta1
  void addZone(const std::string& zone);
  std::string addRecord(const std::string& zone, DnsRecord record);  // returns the id
  std::vector<DnsRecord> records(const std::string& zone, const std::string& name,
                                 const std::string& type) const;
  void setPageSize(int size);
  void failNext(int status, std::string body, std::string retryAfter = "");
  // 429 with Scaleway's rate-limit headers (and Retry-After when not empty).
  void rateLimitNext(const std::string& retryAfter);
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse list(const std::string& zone, const FakeRequest& request) const;
  FakeResponse patch(const std::string& zone, const std::string& body);
  std::optional<std::string> apply(std::vector<DnsRecord>& zone, const rapidjson::Value& change,
                                   std::vector<DnsRecord>& written);

  mutable std::mutex mutex_;
  std::string key_;
  std::map<std::string, std::vector<DnsRecord>> zones_;
  FailureQueue failures_;
  int pageSize_ = 100;
  int nextId_ = 1;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
