// SPDX-License-Identifier: MIT
#pragma once

// A fake of the GoDaddy Domains API v1 record calls, for tests and manual trials. It follows
// https://developer.godaddy.com/doc/endpoint/domains :
//   - Authorization: sso-key KEY:SECRET; a wrong pair is 401 {"code":"UNABLE_TO_AUTHENTICATE",
//     "message":"Unable to authenticate ..."}; an account without API access is 403
//     {"code":"ACCESS_DENIED","message":"Authenticated user is not allowed access"}
//   - GET /v1/domains/DOMAIN/records/TYPE/NAME -> [{"data","name","ttl","type"}] ([] if none)
//   - PUT the same URL [{"data","ttl"},...] replaces every record of that name and type
//     (ttl left out: 3600; below 600: 422 {"code":"INVALID_BODY",...}) -> 200 with no body
//   - an unknown domain is 404 {"code":"UNKNOWN_DOMAIN","message":"The given domain is not
//     registered, or does not have a zone file"}
//   - failNext() serves 429 {"code":"TOO_MANY_REQUESTS","message":...,"retryAfterSec":N},
//     5xx and broken bodies
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeGoDaddy {
 public:
  struct Entry {
    std::string data;
    long long ttl = 3600;
  };

  FakeGoDaddy(std::string key = "gd-key", std::string secret = "gd-secret");
  ~FakeGoDaddy();

  std::string endpoint() const;  // http://127.0.0.1:PORT/v1
  void addDomain(const std::string& domain, bool apiAccess = true);
  void setRecords(const std::string& domain, const std::string& type, const std::string& name,
                  std::vector<Entry> entries);
  std::vector<Entry> records(const std::string& domain, const std::string& type,
                             const std::string& name) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string auth_;
  std::map<std::string, bool> access_;
  std::map<std::string, std::map<std::string, std::vector<Entry>>> domains_;  // "TYPE name"
  FailureQueue failures_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
