// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Linode API v4 Domains endpoints, for tests. It follows the published
// reference, https://techdocs.akamai.com/linode-api/reference/api (Linode API v4):
//   - authentication: "Authorization: Bearer <token>"; a missing or wrong token gets
//     401 {"errors":[{"reason":"Invalid Token"}]}
//   - lists are paginated envelopes {"data":[...],"page":1,"pages":N,"results":M} with
//     ?page= and ?page_size= (https://techdocs.akamai.com/linode-api/reference/pagination)
//   - the X-Filter header holds a JSON object of field: value equalities
//     (https://techdocs.akamai.com/linode-api/reference/filtering-and-sorting)
//   - errors are {"errors":[{"reason":"...","field":"..."}]}; 429 carries Retry-After
//   - GET /v4/domains, GET /v4/domains/{id}/records, GET/PUT /v4/domains/{id}/records/{rid},
//     POST /v4/domains/{id}/records (get-domains, get-domain-records, put-domain-record,
//     post-domain-record in the reference)
// Knobs make it throttle (429 + Retry-After), fail (5xx) or hang, as the real service may.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace chipmunk::test {

class FakeLinode {
 public:
  explicit FakeLinode(std::string token = "test-token");
  ~FakeLinode();

  std::string endpoint() const;  // http://127.0.0.1:PORT/v4
  int port() const;

  long long addDomain(const std::string& domain);
  long long addRecord(long long domainId, const std::string& name, const std::string& type,
                      const std::string& target);
  // Target of the first record with this name and type, if any.
  std::optional<std::string> target(long long domainId, const std::string& name,
                                    const std::string& type) const;
  void removeRecord(long long domainId, long long recordId);
  // Points the first record with this name and type elsewhere, as another client of the
  // account (or the Linode web console) would, without going through the API.
  void setTarget(long long domainId, const std::string& name, const std::string& type,
                 const std::string& target);

  void setToken(std::string token);
  // Lists return at most this many entries a page, whatever page_size asks (the real API
  // allows 25-500), so that small tests exercise pagination.
  void setMaxPageSize(int n);
  // The next `count` requests get `status` with a v4 error body (and Retry-After when set).
  void failNext(int status, int count, std::optional<int> retryAfterSeconds = std::nullopt);
  // The next `count` requests get `status` with exactly `body`, and a Retry-After header with
  // exactly `retryAfter` when it is not empty: a broken or hostile provider.
  void answerNext(int status, int count, std::string body, std::string retryAfter = "");
  // Every request waits this long before it is answered (0: answer at once).
  void setDelay(std::chrono::milliseconds delay);

  std::vector<FakeRequest> requests() const;
  // Requests with this method whose path starts with `pathPrefix`.
  int count(const std::string& method, const std::string& pathPrefix = "/v4/") const;

  // What the fake holds (public for the route handlers in fake_linode.cpp).
  struct DomainRecord {
    long long id = 0;
    std::string name;
    std::string type;
    std::string target;
    long long ttl = 0;
  };
  struct Domain {
    long long id = 0;
    std::string domain;
    std::vector<DomainRecord> records;
  };

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse route(const FakeRequest& request);
  FakeResponse queuedFailure();
  FakeResponse domains(const std::map<std::string, std::string>& filter, long long page,
                       long long pageSize) const;
  Domain* findDomain(long long id);

  mutable std::mutex mutex_;
  std::string token_;
  int maxPageSize_ = 500;
  int failCount_ = 0;
  int failStatus_ = 0;
  std::optional<int> failRetryAfter_;
  std::optional<std::string> failBody_;
  std::string failRetryAfterText_;
  std::chrono::milliseconds delay_{0};
  long long nextId_ = 1000;
  std::vector<Domain> domains_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
