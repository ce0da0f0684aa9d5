// SPDX-License-Identifier: MIT
#pragma once

// The scenarios the JSON REST provider tests (tests/providers/<name>_test.cpp for desec,
// digitalocean, gandi, godaddy, hetzner, ionos, porkbun, vultr) share: building the provider
// against a fake, create_missing, a refused credential, throttling, and malformed replies. Each
// check keeps Catch2's CHECK, so a failure names the expression here and the calling TEST_CASE.

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "providers/provider.hpp"
#include "tests/support/provider_fixture.hpp"

namespace chipmunk::test {

// Builds the built-in provider `name` with `credentials` against a fake's endpoint.
struct RestProviderMaker {
  std::string name;
  std::map<std::string, std::string> credentials;

  template <class Fake>
  std::unique_ptr<providers::DnsProvider> operator()(
      const Fake& fake, std::vector<providers::Record> records,
      const std::map<std::string, std::string>& extra = {}) const {
    auto settings = credentials;
    settings["endpoint"] = fake.endpoint();
    return makeTestProvider(name, std::move(settings), std::move(records), extra);
  }
};

// Prepared, then home set to 198.51.100.7 (updated, `afterHome` checks the fake, then
// unchanged), home/AAAA to 2001:db8::7 (updated, `afterHome6` checks) and the apex to
// 198.51.100.8 (updated; the caller checks the fake after).
inline void checkHomeAaaaApex(providers::DnsProvider& p, const HomeRecords& records,
                              const std::function<void()>& afterHome,
                              const std::function<void()>& afterHome6) {
  using providers::UpdateStatus;
  REQUIRE(p.prepare().ok());
  const auto r = p.update(records.home, ip("198.51.100.7"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  afterHome();
  CHECK(p.update(records.home, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  CHECK(p.update(records.home6, ip("2001:db8::7")).status == UpdateStatus::Updated);
  afterHome6();
  CHECK(p.update(records.apex, ip("198.51.100.8")).status == UpdateStatus::Updated);
}

// `ttl` configured for a record already at 198.51.100.7: the first update sets it
// (`afterUpdate` checks the fake), the next is unchanged. Returns the provider.
template <class Fake>
std::unique_ptr<providers::DnsProvider> checkTtlApplied(const RestProviderMaker& make,
                                                        const Fake& fake,
                                                        const providers::Record& record,
                                                        const std::string& ttl,
                                                        const std::function<void()>& afterUpdate) {
  using providers::UpdateStatus;
  auto p = make(fake, {record}, {{"ttl", ttl}});
  CHECK(p->update(record, ip("198.51.100.7")).status == UpdateStatus::Updated);
  afterUpdate();
  CHECK(p->update(record, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  return p;
}

// `missing` is absent: NotFound (and still absent) without create_missing; with it, created
// (`created()` then holds) and unchanged on the next run. Returns the NotFound result for provider
// checks.
template <class Fake>
providers::UpdateResult checkCreateMissing(const RestProviderMaker& make, const Fake& fake,
                                           const providers::Record& missing,
                                           const IpAddress& address,
                                           const std::function<bool()>& created) {
  using providers::UpdateStatus;
  const auto notFound = make(fake, {missing})->update(missing, address);
  CHECK(notFound.status == UpdateStatus::NotFound);
  CHECK_FALSE(created());
  auto creating = make(fake, {missing}, {{"create_missing", "yes"}});
  CHECK(creating->update(missing, address).status == UpdateStatus::Updated);
  REQUIRE(created());
  CHECK(creating->update(missing, address).status == UpdateStatus::Unchanged);
  return notFound;
}

// A refused credential: AuthFailed, the API's `message` shown (unless empty), `secret` never.
inline void checkAuthFailed(const providers::UpdateResult& r, const std::string& message,
                            const std::string& secret) {
  CHECK(r.status == providers::UpdateStatus::AuthFailed);
  if (!message.empty()) {
    CHECK(r.detail.find(message) != std::string::npos);
  }
  CHECK(r.detail.find(secret) == std::string::npos);
}

// The provider built against `fake` (which expects another credential) updates `record`:
// refused as checkAuthFailed says. Returns the result.
template <class Fake>
providers::UpdateResult checkRefused(const RestProviderMaker& make, const Fake& fake,
                                     const providers::Record& record, const std::string& message,
                                     const std::string& secret) {
  const auto r = make(fake, {record})->update(record, ip("198.51.100.7"));
  checkAuthFailed(r, message, secret);
  return r;
}

// The credential `key` left empty: building the provider throws "[name] key is required".
template <class Fake>
void checkRequired(const RestProviderMaker& make, const Fake& fake, const providers::Record& record,
                   const std::string& key) {
  CHECK_THROWS_WITH(make(fake, {record}, {{key, ""}}),
                    "[" + make.name + "] " + key + " is required");
}

// The fake answers `status` `body` once, with Retry-After `seconds` (none when empty): the
// update of `record` is RetryLater with that hint (or none). Returns the result.
template <class Fake>
providers::UpdateResult checkThrottled(Fake& fake, providers::DnsProvider& p,
                                       const providers::Record& record, int status,
                                       const std::string& body, const std::string& seconds = "") {
  fake.failNext(status, body, seconds);
  auto r = p.update(record, ip("198.51.100.7"));
  CHECK(r.status == providers::UpdateStatus::RetryLater);
  if (seconds.empty()) {
    CHECK_FALSE(r.retryAfter);
  } else {
    CHECK(r.retryAfter == std::chrono::seconds(std::stoll(seconds)));
  }
  return r;
}

// Each of `failing` served with 200 fails the update; `oversized` is retried later; then the
// fake answers normally again and the record is updated to `address`.
template <class Fake>
void checkBadRepliesThenRecovers(Fake& fake, providers::DnsProvider& p,
                                 const providers::Record& record, const IpAddress& address,
                                 const std::vector<std::string>& failing,
                                 const std::string& oversized = oversizedJson()) {
  using providers::UpdateStatus;
  for (const auto& body : failing) {
    fake.failNext(200, body);
    CHECK(p.update(record, address).status == UpdateStatus::Failed);
  }
  fake.failNext(200, oversized);
  CHECK(p.update(record, address).status == UpdateStatus::RetryLater);
  CHECK(p.update(record, address).status == UpdateStatus::Updated);
}

}  // namespace chipmunk::test
