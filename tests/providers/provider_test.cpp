#include <catch2/catch.hpp>

#include "provider.hpp"

using namespace chipmunk::providers;

namespace {

class NullProvider : public DnsProvider {
 public:
  // DnsProvider
  UpdateResult prepare() override { return {UpdateStatus::Unchanged, "", {}}; }
  UpdateResult update(const Record&, const chipmunk::IpAddress&) override {
    return {UpdateStatus::Updated, "", {}};
  }
};

ProviderInfo info(const std::string& name) {
  ProviderInfo i;
  i.name = name;
  i.create = [](const ProviderContext&) { return std::make_unique<NullProvider>(); };
  return i;
}

}  // namespace

TEST_CASE("Registry: the built-in list holds linode and dyndns2", "[providers][unit]") {
  const auto& registry = ProviderRegistry::builtin();
  REQUIRE(registry.find("linode") != nullptr);
  REQUIRE(registry.find("LINODE") != nullptr);
  REQUIRE(registry.find("dyndns2") != nullptr);
  CHECK(registry.find("nope") == nullptr);
  CHECK(registry.find("linode")->documentation.find("techdocs.akamai.com") != std::string::npos);
}

TEST_CASE("Registry: a duplicate name fails", "[providers][unit]") {
  ProviderRegistry registry;
  registry.add(info("alpha"));
  CHECK_THROWS_AS(registry.add(info("alpha")), std::logic_error);
  CHECK_THROWS_AS(registry.add(info("Bad")), std::logic_error);
  CHECK_THROWS_AS(registry.add(info("a:b")), std::logic_error);
}

TEST_CASE("Provider: HTTP failures map to outcomes", "[providers][unit]") {
  HttpResponse r;
  r.status = 401;
  CHECK(classifyHttpFailure(r, "x").status == UpdateStatus::AuthFailed);
  r.status = 403;
  CHECK(classifyHttpFailure(r, "x").status == UpdateStatus::AuthFailed);
  r.status = 404;
  CHECK(classifyHttpFailure(r, "x").status == UpdateStatus::NotFound);
  r.status = 503;
  CHECK(classifyHttpFailure(r, "x").status == UpdateStatus::RetryLater);
  r.status = 400;
  CHECK(classifyHttpFailure(r, "x").status == UpdateStatus::Failed);
  r.status = 429;
  r.headers["retry-after"] = "42";
  const auto throttled = classifyHttpFailure(r, "x");
  CHECK(throttled.status == UpdateStatus::RetryLater);
  CHECK(throttled.retryAfter == std::chrono::seconds(42));
  HttpResponse timeout;
  timeout.error = "Operation timed out";
  timeout.timedOut = true;
  CHECK(classifyHttpFailure(timeout, "x").status == UpdateStatus::RetryLater);
}

TEST_CASE("Provider: record names and status words", "[providers][unit]") {
  Record r{"home", "home", "example.com", RecordType::A};
  CHECK(r.fqdn() == "home.example.com");
  r.host.clear();
  CHECK(r.fqdn() == "example.com");
  CHECK(std::string(toString(UpdateStatus::RetryLater)) == "retry-later");
  CHECK(std::string(toString(RecordType::AAAA)) == "AAAA");
}
