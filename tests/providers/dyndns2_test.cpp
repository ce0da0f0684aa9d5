#include <catch2/catch.hpp>

#include "api_instance.hpp"
#include "fake_http_server.hpp"
#include "provider.hpp"

using namespace chipmunk::providers;
using chipmunk::IpAddress;

namespace {

std::unique_ptr<DnsProvider> makeDyndns2(const std::string& server, const std::string& password) {
  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {{"server", server}, {"username", "alice"}, {"password", password}};
  context.http.timeout = std::chrono::seconds(5);
  return ProviderRegistry::builtin().find("dyndns2")->create(context);
}

const Record kHome{"home", "home", "example.com", RecordType::A};

}  // namespace

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
