// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_duckdns.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeDuckDns;

std::unique_ptr<DnsProvider> makeDuckDns(const FakeDuckDns& fake, std::vector<Record> records,
                                         const std::string& token = "duck-token") {
  ProviderContext context;
  context.section = "duckdns";
  context.settings = {{"token", token}, {"endpoint", fake.endpoint()}};
  context.records = std::move(records);
  context.http.timeout = std::chrono::seconds(5);
  return ProviderRegistry::builtin().find("duckdns")->create(context);
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const Record kHome{"home", "myhome", "duckdns.org", RecordType::A};
const Record kHome6{"home/AAAA", "myhome", "duckdns.org", RecordType::AAAA};

TEST_CASE("DuckDns: updates A then AAAA without clobbering A", "[providers][unit]") {
  FakeDuckDns fake;
  fake.addDomain("myhome");
  auto p = makeDuckDns(fake, {kHome, kHome6});
  REQUIRE(p->prepare().ok());
  const auto r = p->update(kHome, ip("203.0.113.7"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(fake.ipv4("myhome") == "203.0.113.7");
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Unchanged);
  CHECK(p->update(kHome6, ip("2001:db8::7")).status == UpdateStatus::Updated);
  CHECK(fake.ipv6("myhome") == "2001:db8::7");
  CHECK(fake.ipv4("myhome") == "203.0.113.7");  // the AAAA update carried ip= too
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].path == "/update");
  CHECK(reqs[0].param("domains") == "myhome");
  CHECK(reqs[0].param("ip") == "203.0.113.7");
  CHECK(reqs[0].param("verbose") == "true");
  CHECK(reqs[0].param("ipv6").empty());
  CHECK(reqs[2].param("ipv6") == "2001%3Adb8%3A%3A7");
  CHECK(reqs[2].param("ip") == "203.0.113.7");
}

TEST_CASE("DuckDns: KO stops the record and never shows the token", "[providers][unit]") {
  FakeDuckDns fake;
  fake.addDomain("myhome");
  auto wrong = makeDuckDns(fake, {kHome}, "not-the-token");
  const auto r = wrong->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.stop);
  CHECK(r.detail.find("not-the-token") == std::string::npos);
  const Record other{"o", "someoneelse", "duckdns.org", RecordType::A};
  auto p = makeDuckDns(fake, {other});
  CHECK(p->update(other, ip("203.0.113.7")).status == UpdateStatus::AuthFailed);
}

TEST_CASE("DuckDns: accepts full names and rejects names outside duckdns.org",
          "[providers][unit]") {
  FakeDuckDns fake;
  fake.addDomain("myhome");
  const Record full{"f", "", "myhome.duckdns.org", RecordType::A};
  auto p = makeDuckDns(fake, {full});
  CHECK(p->update(full, ip("203.0.113.9")).status == UpdateStatus::Updated);
  CHECK(fake.ipv4("myhome") == "203.0.113.9");
  const Record elsewhere{"e", "home", "example.com", RecordType::A};
  CHECK_THROWS_AS(makeDuckDns(fake, {elsewhere}), std::invalid_argument);
  CHECK_THROWS_AS(makeDuckDns(fake, {kHome}, ""), std::invalid_argument);
}

TEST_CASE("DuckDns: a server error is RetryLater and garbage is Failed", "[providers][unit]") {
  chipmunk::test::FakeHttpServer server([](const chipmunk::test::FakeRequest& r) {
    chipmunk::test::FakeResponse resp;
    resp.contentType = "text/plain";
    if (r.param("domains") == "down") {
      resp.status = 503;
    }
    resp.body = "<html>";
    return resp;
  });
  ProviderContext context;
  context.section = "duckdns";
  context.settings = {{"token", "t"}, {"endpoint", server.url() + "/update"}};
  auto p = ProviderRegistry::builtin().find("duckdns")->create(context);
  CHECK(p->update({"d", "down", "duckdns.org", RecordType::A}, ip("203.0.113.7")).status ==
        UpdateStatus::RetryLater);
  CHECK(p->update({"u", "up", "duckdns.org", RecordType::A}, ip("203.0.113.7")).status ==
        UpdateStatus::Failed);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
