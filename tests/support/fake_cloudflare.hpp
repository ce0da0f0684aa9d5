// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Cloudflare API v4 DNS endpoints, for tests. It follows the published
// reference, https://developers.cloudflare.com/api/ :
//   - authentication with an API token: "Authorization: Bearer <token>"
//     (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/); a wrong
//     token gets 403 with error code 10000 "Authentication error", a missing one 400 with
//     6003 "Invalid request headers" and 6111 "Invalid format for Authorization header"
//   - every reply is the envelope {"success":bool,"errors":[{"code":N,"message":"..."}],
//     "messages":[],"result":...}; lists add "result_info":{"page","per_page","count",
//     "total_count","total_pages"} and take ?page= and ?per_page=
//   - GET /client/v4/zones?name=
//   (https://developers.cloudflare.com/api/resources/zones/methods/list/)
//   - GET /client/v4/zones/{zone_id}/dns_records?type=&name=
//     (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/)
//   - PATCH /client/v4/zones/{zone_id}/dns_records/{dns_record_id}: fields not sent keep their
//     values
//     (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/edit/)
//   - POST /client/v4/zones/{zone_id}/dns_records
//     (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/)
//   - an unknown record is 404 with code 81044 "Record does not exist."; an unknown zone id
//     is 400 with 7003 "Could not route to ..., perhaps your object identifier is invalid?"
//   - rate limit: 429 with Retry-After and code 10100
//     (https://developers.cloudflare.com/fundamentals/api/reference/limits/)

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace chipmunk::test {

class FakeCloudflare {
 public:
  struct DnsRecord {
    std::string id;
    std::string type;
    std::string name;  // fully qualified
    std::string content;
    long long ttl = 1;  // 1 = automatic
    bool proxied = false;
    std::string comment{};  // set in the dashboard; a PATCH without "comment" keeps it
  };

  explicit FakeCloudflare(std::string token = "cf-test-token");
  ~FakeCloudflare();

  std::string endpoint() const;  // http://127.0.0.1:PORT/client/v4

  std::string addZone(const std::string& name);
  std::string addRecord(const std::string& zoneId, const std::string& type, const std::string& name,
                        const std::string& content, long long ttl = 1, bool proxied = false);
  std::optional<DnsRecord> record(const std::string& zoneId, const std::string& type,
                                  const std::string& name) const;
  void removeRecord(const std::string& zoneId, const std::string& recordId);
  void setComment(const std::string& zoneId, const std::string& recordId, std::string comment);
  // Points the record elsewhere, as the dashboard or another tool would, without the API.
  void setContent(const std::string& zoneId, const std::string& type, const std::string& name,
                  const std::string& content);

  // Lists give at most this many entries a page (the real API allows 5-5000 for records).
  void setMaxPerPage(int n);
  // The next `count` requests get `status` with an error envelope (and Retry-After if set).
  void failNext(int status, int code, const std::string& message, int count = 1,
                std::optional<int> retryAfterSeconds = std::nullopt);

  std::vector<FakeRequest> requests() const;
  int count(const std::string& method) const;

 private:
  struct Zone {
    std::string id;
    std::string name;
    std::vector<DnsRecord> records;
  };
  FakeResponse handle(const FakeRequest& request);
  FakeResponse change(Zone& zone, const std::vector<std::string>& parts,
                      const FakeRequest& request);
  Zone* findZone(const std::string& id);
  std::string newId();

  mutable std::mutex mutex_;
  std::string token_;
  int maxPerPage_ = 5000;
  int failCount_ = 0;
  int failStatus_ = 0;
  int failCode_ = 0;
  std::string failMessage_;
  std::optional<int> failRetryAfter_;
  long long nextId_ = 0x1000;
  std::vector<Zone> zones_;
  std::unique_ptr<FakeHttpServer> server_;
};

// Decodes %XX and '+' in a query value (FakeRequest::param returns it raw).
std::string urlDecode(const std::string& text);

}  // namespace chipmunk::test
