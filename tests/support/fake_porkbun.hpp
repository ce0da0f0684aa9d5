// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Porkbun API v3 DNS calls, for tests and manual trials. It follows
// https://porkbun.com/api/json/v3/documentation :
//   - every call is POST with a JSON body holding "apikey" and "secretapikey"; a wrong pair
//     gets HTTP 400 {"status":"ERROR","message":"Invalid API key. (002)"}
//   - POST /ping -> {"status":"SUCCESS","yourIp":"127.0.0.1"}
//   - POST /dns/retrieveByNameType/DOMAIN/TYPE[/SUBDOMAIN] -> {"status":"SUCCESS",
//     "records":[{"id","name","type","content","ttl","prio","notes"}]} (numbers as strings;
//     "name" fully qualified)
//   - POST /dns/edit/DOMAIN/ID {name,type,content,ttl,prio,notes}: replaces the record, so a
//     field left out is reset (notes to "", ttl to 600, prio to 0)
//   - POST /dns/create/DOMAIN {name,type,content,ttl} -> {"status":"SUCCESS","id":N}
//   - a domain not in the account, or without API access, is HTTP 400 {"status":"ERROR",
//     "message":"Invalid domain."} / "Domain is not opted in to API access."
//   - an edit that changes nothing is 400 "Edit error: We were unable to edit the DNS record."
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

class FakePorkbun {
 public:
  struct DnsRecord {
    std::string id;
    std::string name;  // fully qualified
    std::string type;
    std::string content;
    std::string ttl = "600";
    std::string prio = "0";
    std::string notes;
  };

  FakePorkbun(std::string apiKey = "pk1_test", std::string secretKey = "sk1_test");
  ~FakePorkbun();

  std::string endpoint() const;  // http://127.0.0.1:PORT/api/json/v3
  int port() const;
  void addDomain(const std::string& domain, bool apiAccess = true);
  std::string addRecord(const std::string& domain, DnsRecord record);  // returns the id
  std::optional<DnsRecord> record(const std::string& fqdn, const std::string& type) const;
  // The next reply, once: its status, body and Retry-After (empty: none).
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse retrieve(const std::string& domain, const std::string& type,
                        const std::string& sub) const;
  FakeResponse edit(const std::string& domain, const std::string& id,
                    const rapidjson::Document& body);
  FakeResponse create(const std::string& domain, const rapidjson::Document& body);

  mutable std::mutex mutex_;
  std::string apiKey_;
  std::string secretKey_;
  std::map<std::string, bool> domains_;                     // domain -> API access
  std::vector<std::pair<std::string, DnsRecord>> records_;  // domain, record
  FailureQueue failures_;
  int nextId_ = 106926650;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
