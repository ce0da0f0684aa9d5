// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Vultr API v2 DNS record calls, for tests and manual trials. It follows
// https://www.vultr.com/api/#tag/dns :
//   - Authorization: Bearer KEY; a wrong key is 401 {"error":"Invalid API token.",
//     "status":401}
//   - GET /v2/domains/DOMAIN/records?per_page=&cursor= -> {"records":[{"id","type","name",
//     "data","priority","ttl"}],"meta":{"total","links":{"next":CURSOR,"prev":""}}}, cursor
//     pagination ("next" is "" on the last page)
//   - PATCH /v2/domains/DOMAIN/records/ID {name?,data?,ttl?,priority?} -> 204
//   - POST /v2/domains/DOMAIN/records {name,type,data,ttl,priority} -> 201 {"record":{...}}
//   - an unknown domain or record is 404 {"error":"...","status":404}
//   - failNext() serves 429/503 (with or without Retry-After), 5xx and broken bodies;
//     setPageSize() caps per_page to exercise the cursors
#include <rapidjson/document.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeVultr {
 public:
  struct DnsRecord {
    std::string id;
    std::string domain;
    std::string type;
    std::string name;  // "" for the apex
    std::string data;
    long long ttl = 300;
    int priority = -1;
  };

  explicit FakeVultr(std::string key = "vultr-key");
  ~FakeVultr();

  std::string endpoint() const;  // http://127.0.0.1:PORT/v2
  void addDomain(const std::string& domain);
  std::string addRecord(DnsRecord record);  // returns the id
  std::optional<DnsRecord> record(const std::string& domain, const std::string& type,
                                  const std::string& name) const;
  void setPageSize(int size);
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse list(const std::string& domain, const FakeRequest& request) const;
  FakeResponse patch(const std::string& domain, const std::string& id,
                     const rapidjson::Document& body);
  FakeResponse create(const std::string& domain, const rapidjson::Document& body);

  mutable std::mutex mutex_;
  std::string key_;
  std::vector<std::string> domains_;
  std::vector<DnsRecord> records_;
  FailureQueue failures_;
  int pageSize_ = 500;
  int nextId_ = 1;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
