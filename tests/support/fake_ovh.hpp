// SPDX-License-Identifier: MIT
#pragma once

// A fake of the OVHcloud API v1 /domain/zone calls the ovh provider makes, for tests and
// manual trials. It follows https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api
// ("First steps with the OVHcloud APIs") and the /domain/zone schema of
// https://api.ovh.com/console/ :
//   - GET /1.0/auth/time (unsigned) -> the server's time, an integer (the fake's clock may be
//     set off ours: setClockSkew)
//   - every other call is checked as OVHcloud does: X-Ovh-Application (403 INVALID_KEY),
//     X-Ovh-Consumer (403 INVALID_CREDENTIAL), X-Ovh-Timestamp within 30 s of the server's
//     time (400 QUERY_TIME_OUT) and X-Ovh-Signature recomputed from the request as received:
//     "$1$" + sha1_hex(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TIMESTAMP), URL being
//     http://HOST/1.0/...?query (400 INVALID_SIGNATURE); a consumer key granted GET only gets
//     403 NOT_GRANTED_CALL for the rest
//   - GET /1.0/domain/zone/ZONE/record?fieldType=&subDomain= -> [ids]
//   - GET/PUT /1.0/domain/zone/ZONE/record/ID, POST /1.0/domain/zone/ZONE/record,
//     POST /1.0/domain/zone/ZONE/refresh; an unknown zone or record is 404
//     {"class":"Client::NotFound","message":"..."}
//   - failNext() serves 429 (with or without Retry-After), 5xx, broken bodies
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeOvh {
 public:
  struct Record {
    std::string subDomain;
    std::string fieldType;
    std::string target;
    long long ttl = 0;
  };

  explicit FakeOvh(std::string applicationKey = "ovh-ak", std::string applicationSecret = "ovh-as",
                   std::string consumerKey = "ovh-ck");
  ~FakeOvh();

  std::string endpoint() const;  // http://127.0.0.1:PORT/1.0
  void addZone(const std::string& zone);
  long long addRecord(const std::string& zone, Record record);  // its id
  // The first record of `subDomain` and `type`.
  std::optional<Record> find(const std::string& zone, const std::string& subDomain,
                             const std::string& type) const;
  int refreshes(const std::string& zone) const;
  void setClockSkew(long long seconds);
  void setReadOnly(bool readOnly);  // the consumer key is granted GET only
  void failRefreshes(int count);    // the next `count` refreshes answer 503
  void failNext(int status, std::string body, std::string retryAfter = "");
  std::vector<FakeRequest> requests() const;

 private:
  struct Zone {
    std::map<long long, Record> records;
    int refreshes = 0;
  };

  FakeResponse handle(const FakeRequest& request);
  std::optional<FakeResponse> refuse(const FakeRequest& request) const;
  FakeResponse records(Zone& zone, const std::string& name, const FakeRequest& request,
                       const std::vector<std::string>& parts);
  long long now() const;

  mutable std::mutex mutex_;
  std::string applicationKey_;
  std::string applicationSecret_;
  std::string consumerKey_;
  long long skew_ = 0;
  bool readOnly_ = false;
  int failRefreshes_ = 0;
  long long nextId_ = 5000001;
  std::map<std::string, Zone> zones_;
  FailureQueue failures_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
