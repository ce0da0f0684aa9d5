// SPDX-License-Identifier: MIT
#pragma once

// A fake of the Amazon Route 53 REST API (2013-04-01) calls the route53 provider makes, for
// tests and manual trials. It follows
//   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
//   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
//   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
//   https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4.html
//   - every request is checked as AWS does: the Authorization header's credential (access key,
//     day, us-east-1/route53/aws4_request), X-Amz-Date within 5 minutes, the session token
//     when the fake has one, and the signature recomputed from the request as received
//     (method, path, query, the signed headers' values, the body). Refusals are 403
//     <ErrorResponse> with InvalidClientTokenId, SignatureDoesNotMatch or
//     MissingAuthenticationToken
//   - GET /2013-04-01/hostedzonesbyname?dnsname=&maxitems= -> ListHostedZonesByNameResponse
//   - GET /2013-04-01/hostedzone/ID/rrset?name=&type=&maxitems= -> the sets from (name, type)
//     on, IsTruncated, NextRecordName/NextRecordType; 404 NoSuchHostedZone
//   - POST /2013-04-01/hostedzone/ID/rrset/ with CREATE, UPSERT or DELETE changes -> 200
//     ChangeInfo PENDING; 400 InvalidChangeBatch for a bad batch
//   - every reply carries Date (the fake's clock, which setClockSkew() moves)
//   - failNext() serves 400 Throttling, 5xx, broken bodies (with or without Retry-After)
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeRoute53 {
 public:
  struct RRset {
    long long ttl = 300;
    std::vector<std::string> values;
    std::string setIdentifier;  // a routing policy's set (weighted, latency...)
  };

  // AWS's documentation example credentials by default.
  explicit FakeRoute53(std::string accessKeyId = "AKIDEXAMPLE",
                       std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                       std::string sessionToken = "");
  ~FakeRoute53();

  std::string endpoint() const;  // http://127.0.0.1:PORT
  void addZone(const std::string& id, const std::string& name, bool isPrivate = false);
  // `name` without the trailing dot ("home.example.com").
  void setRRset(const std::string& zone, const std::string& name, const std::string& type,
                RRset rrset);
  std::optional<RRset> rrset(const std::string& zone, const std::string& name,
                             const std::string& type) const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  // The fake's clock runs `seconds` ahead of ours (every reply's Date header says so).
  void setClockSkew(long long seconds);
  std::vector<FakeRequest> requests() const;
  // An <ErrorResponse> with `code` and `message`, as Route 53 writes it.
  static std::string errorBody(const std::string& code, const std::string& message);

 private:
  struct Zone {
    std::string name;  // "example.com."
    bool isPrivate = false;
    std::map<std::pair<std::string, std::string>, RRset> sets;  // (name., type)
  };

  FakeResponse handle(const FakeRequest& request);
  FakeResponse route(const FakeRequest& request);
  std::optional<FakeResponse> refuseSignature(const FakeRequest& request) const;
  FakeResponse listZones(const FakeRequest& request) const;
  FakeResponse listSets(const Zone& zone, const FakeRequest& request) const;
  FakeResponse change(Zone& zone, const FakeRequest& request);

  mutable std::mutex mutex_;
  std::string accessKeyId_;
  std::string secret_;
  std::string sessionToken_;
  long long skew_ = 0;
  std::map<std::string, Zone> zones_;  // id -> zone
  FailureQueue failures_;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
