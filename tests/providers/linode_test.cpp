// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_linode.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeLinode;

std::unique_ptr<DnsProvider> makeLinode(
    const FakeLinode& fake, std::vector<Record> records, const std::string& token = "test-token",
    bool createMissing = false, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  ProviderContext context;
  context.section = "linode";
  context.settings = {{"api_key", token},
                      {"endpoint", fake.endpoint()},
                      {"create_missing", createMissing ? "yes" : "no"},
                      {"ttl", "0"}};
  context.records = std::move(records);
  context.http.timeout = timeout;
  return ProviderRegistry::builtin().find("linode")->create(context);
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const Record kHome{"home", "home", "example.com", RecordType::A};

TEST_CASE("Linode: finds the domain and record, then PUTs the target", "[providers][unit]") {
  FakeLinode fake;
  fake.addDomain("other.org");
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "www", "A", "192.0.2.1");
  const long long rid = fake.addRecord(id, "home", "A", "192.0.2.1");
  auto p = makeLinode(fake, {kHome});
  REQUIRE(p->prepare().ok());
  const auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(fake.target(id, "home", "A") == "203.0.113.7");
  CHECK(fake.target(id, "www", "A") == "192.0.2.1");
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].path == "/v4/domains");
  CHECK(reqs[0].header("x-filter") == "{\"domain\":\"example.com\"}");
  CHECK(reqs[0].header("authorization") == "Bearer test-token");
  CHECK(reqs[1].path == "/v4/domains/" + std::to_string(id) + "/records");
  CHECK(reqs[1].header("x-filter") == "{\"name\":\"home\",\"type\":\"A\"}");
  CHECK(reqs[2].method == "PUT");
  CHECK(reqs[2].path == "/v4/domains/" + std::to_string(id) + "/records/" + std::to_string(rid));
  CHECK(reqs[2].body == "{\"target\":\"203.0.113.7\"}");
  CHECK(reqs[2].header("content-type") == "application/json");

  // Ids are cached: the next change is a single PUT.
  CHECK(p->update(kHome, ip("203.0.113.8")).status == UpdateStatus::Updated);
  CHECK(fake.requests().size() == 4);
  CHECK(fake.target(id, "home", "A") == "203.0.113.8");
}

TEST_CASE("Linode: follows pagination to find domain and record", "[providers][unit]") {
  FakeLinode fake;
  fake.setMaxPageSize(2);
  for (int i = 0; i < 5; ++i) {
    fake.addDomain("d" + std::to_string(i) + ".net");
  }
  const long long id = fake.addDomain("example.com");
  for (int i = 0; i < 5; ++i) {
    fake.addRecord(id, "home", "AAAA", "2001:db8::" + std::to_string(i + 1));
  }
  fake.addRecord(id, "home", "A", "192.0.2.1");
  // Filters are honoured by the fake, so filtered lists are short; without a filter match the
  // client still pages through everything. Use an AAAA record to check client-side matching.
  Record v6{"home6", "home", "example.com", RecordType::AAAA};
  auto p = makeLinode(fake, {v6});
  CHECK(p->update(v6, ip("2001:db8::99")).status == UpdateStatus::Updated);
  CHECK(fake.target(id, "home", "AAAA") == "2001:db8::99");
  int recordPages = 0;
  for (const auto& r : fake.requests()) {
    if (r.path.find("/records") != std::string::npos && r.method == "GET") {
      ++recordPages;
    }
  }
  CHECK(recordPages == 3);  // 5 AAAA records, 2 a page
}

TEST_CASE("Linode: a record that already points at the IP is unchanged, no PUT",
          "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "home", "A", "203.0.113.7");
  auto p = makeLinode(fake, {kHome});
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Unchanged);
  CHECK(fake.count("PUT") == 0);
}

TEST_CASE("Linode: a bad token is AuthFailed with the v4 reason", "[providers][unit]") {
  FakeLinode fake;
  fake.addDomain("example.com");
  auto p = makeLinode(fake, {kHome}, "wrong");
  const auto r = p->prepare();
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.detail.find("Invalid Token") != std::string::npos);
  CHECK(r.detail.find("wrong") == std::string::npos);
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::AuthFailed);
}

TEST_CASE("Linode: 429 is RetryLater with Retry-After and 5xx is RetryLater", "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "home", "A", "192.0.2.1");
  auto p = makeLinode(fake, {kHome});
  fake.failNext(429, 1, 17);
  auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(17));
  fake.failNext(503, 1);
  r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK_FALSE(r.retryAfter);
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
}

TEST_CASE("Linode: a hanging API is RetryLater after the timeout", "[providers][unit]") {
  FakeLinode fake;
  fake.addDomain("example.com");
  fake.setDelay(std::chrono::seconds(10));
  auto p = makeLinode(fake, {kHome}, "test-token", false, std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.detail.find("timed out") != std::string::npos);
}

TEST_CASE("Linode: a missing record is NotFound, or created when allowed", "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  {
    auto p = makeLinode(fake, {kHome});
    CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::NotFound);
    Record other{"x", "x", "missing.org", RecordType::A};
    CHECK(p->update(other, ip("203.0.113.7")).status == UpdateStatus::NotFound);
  }
  auto p = makeLinode(fake, {kHome}, "test-token", true);
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  CHECK(fake.target(id, "home", "A") == "203.0.113.7");
  CHECK(fake.count("POST") == 1);
  CHECK(fake.requests().back().body ==
        "{\"type\":\"A\",\"name\":\"home\",\"target\":\"203.0.113.7\"}");
  // The new id is cached: the next change is a PUT.
  CHECK(p->update(kHome, ip("203.0.113.9")).status == UpdateStatus::Updated);
  CHECK(fake.count("PUT") == 1);
  CHECK(fake.target(id, "home", "A") == "203.0.113.9");
}

TEST_CASE("Linode: a cached record that was deleted is looked up again", "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  const long long rid = fake.addRecord(id, "home", "A", "192.0.2.1");
  auto p = makeLinode(fake, {kHome});
  REQUIRE(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  fake.removeRecord(id, rid);
  fake.addRecord(id, "home", "A", "192.0.2.1");
  CHECK(p->update(kHome, ip("203.0.113.8")).status == UpdateStatus::Updated);
  CHECK(fake.target(id, "home", "A") == "203.0.113.8");
}

TEST_CASE("Linode: the apex record has an empty name", "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "", "A", "192.0.2.1");
  Record apex{"apex", "", "example.com", RecordType::A};
  auto p = makeLinode(fake, {apex});
  CHECK(p->update(apex, ip("203.0.113.7")).status == UpdateStatus::Updated);
  CHECK(fake.target(id, "", "A") == "203.0.113.7");
}

TEST_CASE("Linode: settings are checked when the provider is built", "[providers][unit]") {
  ProviderContext context;
  context.section = "linode";
  context.settings = {{"api_key", ""}, {"endpoint", ""}};
  const auto* info = ProviderRegistry::builtin().find("linode");
  CHECK_THROWS_AS(info->create(context), std::invalid_argument);
  context.settings = {{"api_key", "t"}, {"endpoint", "ftp://x"}};
  CHECK_THROWS_AS(info->create(context), std::invalid_argument);
  // The original client's v3 endpoint is accepted and replaced.
  context.settings = {{"api_key", "t"}, {"endpoint", "https://api.linode.com/api/"}};
  CHECK_NOTHROW(info->create(context));
}

TEST_CASE("Linode: created records carry the configured TTL", "[providers][unit]") {
  FakeLinode fake;
  fake.addDomain("example.com");
  ProviderContext context;
  context.section = "linode";
  context.settings = {{"api_key", "test-token"},
                      {"endpoint", fake.endpoint()},
                      {"create_missing", "yes"},
                      {"ttl", "1h"}};
  context.records = {kHome};
  auto p = ProviderRegistry::builtin().find("linode")->create(context);
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  CHECK(fake.requests().back().body.find("\"ttl_sec\":3600") != std::string::npos);
}

TEST_CASE("Linode: a reply of 1 MB of open brackets or deep nesting is a failure, not a crash",
          "[providers][unit]") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    deep += "{\"a\":";
  }
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "home", "A", "192.0.2.1");
  auto p = makeLinode(fake, {kHome});
  fake.answerNext(200, 1, std::string(1000000, '['));
  auto r = p->prepare();
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.detail.find("nested deeper") != std::string::npos);
  fake.answerNext(200, 1, deep);
  CHECK(p->prepare().status == UpdateStatus::RetryLater);
  fake.answerNext(400, 1, deep);  // an error body (its reasons are read for the log)
  r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::Failed);
  CHECK(r.detail == "list domains: HTTP 400");
  REQUIRE(p->prepare().ok());
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
}

TEST_CASE("Linode: a deeply nested reply to a record creation is survived", "[providers][unit]") {
  const std::string deep(1000000, '[');
  chipmunk::test::FakeHttpServer server([&](const chipmunk::test::FakeRequest& req) {
    chipmunk::test::FakeResponse r;
    if (req.method == "POST") {
      r.body = deep;
    } else if (req.path == "/v4/domains") {
      r.body = R"({"data":[{"id":7,"domain":"example.com"}],"page":1,"pages":1,"results":1})";
    } else {
      r.body = R"({"data":[],"page":1,"pages":1,"results":0})";
    }
    return r;
  });
  ProviderContext context;
  context.section = "linode";
  context.settings = {{"api_key", "test-token"},
                      {"endpoint", server.url() + "/v4"},
                      {"create_missing", "yes"},
                      {"ttl", "0"}};
  context.records = {kHome};
  context.http.timeout = std::chrono::seconds(5);
  auto p = ProviderRegistry::builtin().find("linode")->create(context);
  p->prepare();
  const auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::Updated);  // created; its id is simply not cached
  CHECK(server.requests().back().method == "POST");
}

TEST_CASE("Linode: an update through cached ids still PUTs, repairing a record changed elsewhere",
          "[providers][unit]") {
  FakeLinode fake;
  const long long id = fake.addDomain("example.com");
  fake.addRecord(id, "home", "A", "192.0.2.1");
  auto p = makeLinode(fake, {kHome});
  REQUIRE(p->prepare().ok());
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  CHECK(fake.count("PUT") == 1);
  // Someone else points the record elsewhere; the provider's cache still says 203.0.113.7.
  fake.setTarget(id, "home", "A", "192.0.2.99");
  const auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(fake.count("PUT") == 2);
  CHECK(fake.target(id, "home", "A") == "203.0.113.7");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
