// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/api_instance.hpp"
#include "tests/support/fake_http_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;

std::unique_ptr<DnsProvider> makeDyndns2(const std::string& server, const std::string& password) {
  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {{"server", server}, {"username", "alice"}, {"password", password}};
  context.http.timeout = std::chrono::seconds(20);  // a loaded sanitizer run is slow, not wrong
  return ProviderRegistry::builtin().find("dyndns2")->create(context);
}

const Record kHome{"home", "home", "example.com", RecordType::A};

TEST_CASE("Dyndns2: updates chipmunk-api's /nic/update (good, nochg, badauth, nohost)",
          "[providers][integration]") {
  chipmunk::test::ApiInstance api("[Users]\nalice = secret\n[Hosts]\nhome.example.com = alice\n");
  REQUIRE(api.start());
  const std::string server = "http://127.0.0.1:" + std::to_string(api.port());
  auto p = makeDyndns2(server, "secret");
  REQUIRE(p->prepare().ok());
  const auto ip = *IpAddress::parse("198.51.100.7");
  CHECK(p->update(kHome, ip).status == UpdateStatus::Updated);
  CHECK(p->update(kHome, ip).status == UpdateStatus::Unchanged);
  const Record other{"x", "other", "example.com", RecordType::A};
  CHECK(p->update(other, ip).status == UpdateStatus::NotFound);
  const auto refused = makeDyndns2(server, "wrong")->update(kHome, ip);
  CHECK(refused.status == UpdateStatus::AuthFailed);
  CHECK(refused.detail.find("wrong") == std::string::npos);
}

TEST_CASE("Dyndns2: a server that fails is RetryLater, garbage is Failed", "[providers][unit]") {
  chipmunk::test::FakeHttpServer server([](const chipmunk::test::FakeRequest& r) {
    chipmunk::test::FakeResponse resp;
    resp.contentType = "text/plain";
    resp.body = r.param("hostname") == "home.example.com" ? "911\n" : "<html>";
    return resp;
  });
  auto p = makeDyndns2(server.url(), "pw");
  const auto ip = *IpAddress::parse("198.51.100.7");
  CHECK(p->update(kHome, ip).status == UpdateStatus::RetryLater);
  CHECK(p->update({"y", "y", "example.com", RecordType::A}, ip).status == UpdateStatus::Failed);
  CHECK(server.requests().at(0).param("myip") == "198.51.100.7");
}

TEST_CASE("Dyndns2: the server URL must be http or https", "[providers][unit]") {
  CHECK_THROWS_AS(makeDyndns2("members.example.net", "pw"), std::invalid_argument);
}

TEST_CASE("Dyndns2: every return code maps to its outcome", "[providers][unit]") {
  std::string reply;
  chipmunk::test::FakeHttpServer server([&reply](const chipmunk::test::FakeRequest&) {
    chipmunk::test::FakeResponse resp;
    resp.contentType = "text/plain";
    resp.body = reply;
    return resp;
  });
  auto p = makeDyndns2(server.url(), "pw");
  const auto ip = *IpAddress::parse("198.51.100.7");
  struct Case {
    const char* reply;
    UpdateStatus status;
    bool stop;
  };
  const Case cases[] = {
      {"good 198.51.100.7\n", UpdateStatus::Updated, false},
      {"nochg 198.51.100.7\n", UpdateStatus::Unchanged, false},
      {"badauth\n", UpdateStatus::AuthFailed, true},
      {"!donator\n", UpdateStatus::AuthFailed, true},
      {"abuse\n", UpdateStatus::AuthFailed, true},
      {"badagent\n", UpdateStatus::AuthFailed, true},
      {"notfqdn\n", UpdateStatus::NotFound, true},
      {"nohost\n", UpdateStatus::NotFound, true},
      {"numhost\n", UpdateStatus::NotFound, true},
      {"dnserr\n", UpdateStatus::RetryLater, false},
      {"911\n", UpdateStatus::RetryLater, false},
      {"what\n", UpdateStatus::Failed, false},
  };
  for (const auto& c : cases) {
    reply = c.reply;
    const auto r = p->update(kHome, ip);
    INFO(c.reply << " -> " << toString(r.status) << ": " << r.detail);
    CHECK(r.status == c.status);
    CHECK(r.stop == c.stop);
    if (c.status == UpdateStatus::RetryLater) {
      REQUIRE(r.retryAfter);
      CHECK(r.retryAfter->count() >= 1800);
    }
  }
  const auto req = server.requests().at(0);
  CHECK(req.path == "/nic/update");
  CHECK(req.param("hostname") == "home.example.com");
  CHECK(req.header("authorization") == "Basic YWxpY2U6cHc=");  // alice:pw
  CHECK(req.header("user-agent").rfind("chipmunk-updater/", 0) == 0);
}

TEST_CASE("Dyndns2: 911 with a 500 still waits 30 minutes", "[providers][unit]") {
  chipmunk::test::FakeHttpServer server([](const chipmunk::test::FakeRequest&) {
    chipmunk::test::FakeResponse resp;
    resp.status = 500;
    resp.contentType = "text/plain";
    resp.body = "911\n";
    return resp;
  });
  const auto r = makeDyndns2(server.url(), "pw")->update(kHome, *IpAddress::parse("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  REQUIRE(r.retryAfter);
  CHECK(r.retryAfter->count() >= 1800);
}

TEST_CASE("Dyndns2: AAAA goes in myip by default or in myipv6 when configured",
          "[providers][unit]") {
  chipmunk::test::FakeHttpServer server([](const chipmunk::test::FakeRequest&) {
    chipmunk::test::FakeResponse resp;
    resp.contentType = "text/plain";
    resp.body = "good\n";
    return resp;
  });
  const Record home6{"home/AAAA", "home", "example.com", RecordType::AAAA};
  const auto v6 = *IpAddress::parse("2001:db8::5");
  CHECK(makeDyndns2(server.url(), "pw")->update(home6, v6).ok());
  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {
      {"server", server.url()}, {"username", "u"}, {"password", "p"}, {"ipv6_param", "myipv6"}};
  CHECK(ProviderRegistry::builtin().find("dyndns2")->create(context)->update(home6, v6).ok());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].param("myip") == "2001%3Adb8%3A%3A5");
  CHECK(reqs[0].param("myipv6").empty());
  CHECK(reqs[1].param("myipv6") == "2001%3Adb8%3A%3A5");
  CHECK(reqs[1].param("myip").empty());
}

TEST_CASE("Dyndns2: chipmunk-api takes the A and the AAAA address of one name",
          "[providers][integration]") {
  chipmunk::test::ApiInstance api("[Users]\nalice = secret\n[Hosts]\nhome.example.com = alice\n");
  REQUIRE(api.start());
  const std::string server = "http://127.0.0.1:" + std::to_string(api.port());
  auto p = makeDyndns2(server, "secret");
  const Record home6{"home/AAAA", "home", "example.com", RecordType::AAAA};
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::5")).status == UpdateStatus::Updated);
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::5")).status == UpdateStatus::Unchanged);
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::6")).status == UpdateStatus::Updated);
  // chipmunk-api also keeps the original Chipmunk's single "current" address, which follows
  // the family of the last update: going back to A is a change there (good), not nochg.
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.7")).ok());
}

TEST_CASE("Dyndns2: ipv6_param combined sends myip with both families", "[providers][unit]") {
  chipmunk::test::FakeHttpServer server([](const chipmunk::test::FakeRequest&) {
    chipmunk::test::FakeResponse resp;
    resp.contentType = "text/plain";
    resp.body = "good\n";
    return resp;
  });
  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {
      {"server", server.url()}, {"username", "u"}, {"password", "p"}, {"ipv6_param", "combined"}};
  auto p = ProviderRegistry::builtin().find("dyndns2")->create(context);
  const Record home6{"home/AAAA", "home", "example.com", RecordType::AAAA};
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.7")).ok());
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::5")).ok());
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.8")).ok());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].param("myip") == "198.51.100.7");
  CHECK(reqs[1].param("myip") == "198.51.100.7%2C2001%3Adb8%3A%3A5");
  CHECK(reqs[2].param("myip") == "198.51.100.8%2C2001%3Adb8%3A%3A5");
}

TEST_CASE("Dyndns2: ipv6_param combined works with chipmunk-api", "[providers][integration]") {
  chipmunk::test::ApiInstance api("[Users]\nalice = secret\n[Hosts]\nhome.example.com = alice\n");
  REQUIRE(api.start());
  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {{"server", "http://127.0.0.1:" + std::to_string(api.port())},
                      {"username", "alice"},
                      {"password", "secret"},
                      {"ipv6_param", "combined"}};
  context.http.timeout = std::chrono::seconds(20);  // a loaded sanitizer run is slow, not wrong
  auto p = ProviderRegistry::builtin().find("dyndns2")->create(context);
  const Record home6{"home/AAAA", "home", "example.com", RecordType::AAAA};
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::5")).status == UpdateStatus::Updated);
  // Both families in one request: repeating either is nochg now.
  CHECK(p->update(kHome, *IpAddress::parse("198.51.100.7")).status == UpdateStatus::Unchanged);
  CHECK(p->update(home6, *IpAddress::parse("2001:db8::5")).status == UpdateStatus::Unchanged);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
