// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Njalla API's record methods, for tests and manual trials. It follows
// https://njal.la/api/ :
//   - POST /api/1/ {"method":NAME,"params":{...}} with Authorization: Njalla TOKEN; a missing
//     or wrong token answers {"error":{"code":403,"message":"Permission denied."}}
//   - list-records {domain} -> {"result":{"records":[{"id" (number),"name" ("@" for the
//     apex),"type","content","ttl"}]}}
//   - edit-record {domain, id, content[, ttl]} -> {"result":{record}}; fields not sent keep
//     their values
//   - add-record {domain, type, name, content, ttl} -> {"result":{record}}
//   - a domain not in the account: {"error":{"code":404,"message":"Domain not found."}}; a
//     TTL outside 60, 300, 900, 3600, 10800, 21600, 86400: code 400
//   - failNext() serves 429/503 (with or without Retry-After), malformed or huge bodies
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeNjalla {
 public:
  struct DnsRecord {
    long long id = 0;
    std::string name;  // "@" for the apex
    std::string type;
    std::string content;
    long long ttl = 10800;
  };

  explicit FakeNjalla(std::string token = "njalla-token");
  ~FakeNjalla();

  std::string endpoint() const;  // http://127.0.0.1:PORT/api/1
  void addDomain(const std::string& domain);
  long long addRecord(const std::string& domain, DnsRecord record);  // returns the id
  std::optional<DnsRecord> record(const std::string& domain, const std::string& name,
                                  const std::string& type) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse list(const std::string& domain) const;
  FakeResponse edit(const std::string& domain, const rapidjson::Value& params);
  FakeResponse add(const std::string& domain, const rapidjson::Value& params);

  mutable std::mutex mutex_;
  std::string token_;
  std::map<std::string, std::vector<DnsRecord>> domains_;
  FailureQueue failures_;
  long long nextId_ = 1337;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
