// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

class NullProvider : public DnsProvider {
 public:
  // DnsProvider
  UpdateResult prepare() override { return {UpdateStatus::Unchanged, "", {}}; }
  UpdateResult update(const Record&, const chipmunk::IpAddress&) override {
    return {UpdateStatus::Updated, "", {}};
  }
};

chipmunk::config::SettingSpec setting(const std::string& key, chipmunk::config::SettingType type,
                                      const std::string& defaultValue, bool required = false,
                                      long long min = 0, long long max = 0) {
  chipmunk::config::SettingSpec s;
  s.key = key;
  s.type = type;
  s.defaultValue = defaultValue;
  s.required = required;
  s.min = min;
  s.max = max;
  return s;
}

ProviderInfo info(const std::string& name) {
  ProviderInfo i;
  i.name = name;
  i.create = [](const ProviderContext&) { return std::make_unique<NullProvider>(); };
  return i;
}

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

TEST_CASE("Registry: a numeric setting declared without a range accepts any value >= 0",
          "[providers][unit]") {
  using T = chipmunk::config::SettingType;
  ProviderInfo i = info("alpha");
  i.settings = {setting("ttl", T::kSeconds, "0"),
                setting("port", T::kInteger, "53", false, 1, 65535)};
  ProviderRegistry registry;
  registry.add(i);
  const auto& settings = registry.find("alpha")->settings;
  CHECK(settings[0].min == 0);
  CHECK(settings[0].max >= 7 * 86400);
  CHECK(settings[1].min == 1);  // a declared range is kept
  CHECK(settings[1].max == 65535);
}

TEST_CASE("Registry: makeProvider fills defaults and refuses a missing required setting",
          "[providers][unit]") {
  using T = chipmunk::config::SettingType;
  ProviderInfo i;
  i.name = "alpha";
  std::map<std::string, std::string> seen;
  i.settings = {setting("token", T::kSecret, "", true),
                setting("endpoint", T::kString, "https://api.example.net")};
  i.create = [&seen](const ProviderContext& c) {
    seen = c.settings;
    return std::make_unique<NullProvider>();
  };
  ProviderContext context;
  context.section = "alpha:work";
  CHECK_THROWS_WITH(makeProvider(i, context), "[alpha:work] token is required");
  context.settings["token"] = "t";
  REQUIRE(makeProvider(i, context) != nullptr);
  CHECK(seen["endpoint"] == "https://api.example.net");
  CHECK(seen["token"] == "t");
  // A provider that keeps A records only refuses an AAAA record.
  i.ipv6 = false;
  context.records = {{"home/AAAA", "home", "example.com", RecordType::AAAA}};
  CHECK_THROWS_WITH(makeProvider(i, context),
                    "[alpha:work] alpha cannot keep AAAA records (record home/AAAA)");
}

TEST_CASE("Registry: a required setting the loader reported missing is not reported twice",
          "[providers][unit]") {
  using T = chipmunk::config::SettingType;
  ProviderInfo i = info("alpha");
  i.settings = {setting("token", T::kSecret, "", true)};
  ProviderRegistry registry;
  registry.add(i);
  chipmunk::config::AccountConfig account;
  account.section = "alpha:work";
  account.provider = "alpha";
  account.settings = {{"token", ""}};
  account.where = "x.ini:3";
  const std::vector<std::pair<std::string, Record>> records = {
      {"alpha:work", {"home", "home", "example.com", RecordType::A}}};
  std::vector<std::string> errors = {"x.ini: missing required setting [alpha:work] token"};
  buildProviders(registry, {account}, records, HttpOptions(), errors);
  CHECK(errors.size() == 1);
  errors.clear();  // present but empty: the loader said nothing, the registry says it
  buildProviders(registry, {account}, records, HttpOptions(), errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "x.ini:3: [alpha:work] token is required");
}

TEST_CASE("Registry: a preset shows its own settings and defaults and fixes the rest",
          "[providers][unit]") {
  using T = chipmunk::config::SettingType;
  ProviderInfo base = info("base");
  std::map<std::string, std::string> seen;
  base.settings = {setting("server", T::kString, "", true), setting("path", T::kString, "/x"),
                   setting("token", T::kSecret, "", true), setting("mode", T::kString, "a")};
  base.create = [&seen](const ProviderContext& c) {
    seen = c.settings;
    return std::make_unique<NullProvider>();
  };
  PresetSpec spec;
  spec.name = "svc";
  spec.description = "A service";
  spec.documentation = "https://svc.example/api";
  spec.ipv6 = false;
  spec.settings = {{"server", "https://svc.example", ""}, {"token", "", "The svc token."}};
  spec.fixed = {{"path", "/svc/update"}};
  const ProviderInfo p = preset(base, spec);
  CHECK(p.presetOf == "base");
  CHECK_FALSE(p.ipv6);
  REQUIRE(p.settings.size() == 2);
  CHECK(p.settings[0].defaultValue == "https://svc.example");
  CHECK_FALSE(p.settings[0].required);
  CHECK(p.settings[1].required);
  CHECK(p.settings[1].help == "The svc token.");
  ProviderContext context;
  context.section = "svc";
  context.settings = {{"token", "t"}};
  REQUIRE(makeProvider(p, context) != nullptr);
  CHECK(seen["server"] == "https://svc.example");
  CHECK(seen["path"] == "/svc/update");
  CHECK(seen["mode"] == "a");  // hidden, the base's default
  CHECK(seen["token"] == "t");
  spec.fixed = {{"nope", "x"}};
  CHECK_THROWS_AS(preset(base, spec), std::logic_error);
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

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
