// SPDX-License-Identifier: MIT
// The provider fuzz target's set (tests/support/provider_fuzz_setups.hpp) is derived from the
// registry: it holds every provider that had a line in the former hand-kept table, and each
// provider in it builds from its dummy settings (a throw would stop every fuzz run).
#include <catch2/catch.hpp>

#include <set>

#include "tests/support/provider_fuzz_setups.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

TEST_CASE("ProviderFuzzSetups: every HTTP-API provider is fuzzed and builds from dummies",
          "[providers][unit]") {
  std::set<std::string> names;
  for (const auto& setup : chipmunk::test::providerFuzzSetups()) {
    INFO("provider " << setup.info->name
                     << ": a provider without `endpoint` clears httpApi in its ProviderInfo");
    names.insert(setup.info->name);
    ProviderContext context;
    context.section = setup.info->name;
    context.settings = setup.settings;
    context.settings["endpoint"] = "http://127.0.0.1:9";
    context.records = {{"home", "home", "example.com", RecordType::A}};
    CHECK_NOTHROW(makeProvider(*setup.info, context));
  }
  // At least the 13 of the table json_providers_fuzz.cpp kept by hand before and the two
  // JSON providers with fuzz targets of their own; a new one joins without an edit here.
  const std::set<std::string> expected = {
      "porkbun", "digitalocean", "desec",  "gandi",  "vultr",    "godaddy",    "ionos", "hetzner",
      "route53", "ovh",          "netcup", "njalla", "scaleway", "cloudflare", "linode"};
  for (const auto& name : expected) {
    INFO("provider " << name);
    CHECK(names.count(name) == 1);
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
