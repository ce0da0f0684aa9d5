// SPDX-License-Identifier: MIT
// The reply handling of the HTTP-API providers (those listed in kProviders below: listings,
// pagination links, edit and create results, error bodies sent with 4xx; JSON, and route53's
// XML through providers/xml_reply) over the plain-HTTP client. Every reply comes from the fuzzer,
// raw (status line, headers, body), one per connection, split at "\n#####\n"; each provider in turn
// consumes them from the start. A new JSON provider adds its line to kProviders: no new target, no
// CMake edit.
#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

struct Setup {
  const char* name;
  const char* path;  // the endpoint's path on the responder
  std::map<std::string, std::string> settings;
};

const std::vector<Setup> kProviders = {
    {"porkbun", "/api/json/v3", {{"api_key", "pk1_fuzz"}, {"secret_api_key", "sk1_fuzz"}}},
    {"digitalocean", "/v2", {{"api_token", "do-fuzz"}}},
    {"desec", "/api/v1", {{"token", "desec-fuzz"}}},
    {"gandi", "/v5/livedns", {{"token", "gandi-fuzz"}}},
    {"vultr", "/v2", {{"api_key", "vultr-fuzz"}}},
    {"godaddy", "/v1", {{"api_key", "gd-fuzz"}, {"api_secret", "gd-fuzz"}}},
    {"ionos", "/dns/v1", {{"api_key", "prefix.fuzz"}}},
    {"hetzner", "/api/v1", {{"api_token", "hetzner-fuzz"}}},
    {"route53", "", {{"access_key_id", "AKIDFUZZ"}, {"secret_access_key", "fuzz"}}},
    {"ovh",
     "/1.0",
     {{"application_key", "ak-fuzz"},
      {"application_secret", "as-fuzz"},
      {"consumer_key", "ck-fuzz"}}},
    {"netcup",
     "/run/webservice/servers/endpoint.php?JSON",
     {{"customer_number", "1"}, {"api_key", "nc-fuzz"}, {"api_password", "nc-fuzz"}}},
    {"njalla", "/api/1", {{"token", "njalla-fuzz"}}},
    {"scaleway", "/domain/v2beta1", {{"secret_key", "scw-fuzz"}}},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  std::vector<std::string> responses;
  auto& responder = fuzz::serveReplies(data, size, responses);
  for (const auto& setup : kProviders) {
    responder.setResponses(responses);  // each provider reads them from the first
    ProviderContext context;
    context.section = setup.name;
    context.settings = setup.settings;
    context.settings["endpoint"] =
        "http://127.0.0.1:" + std::to_string(responder.port()) + setup.path;
    context.settings["create_missing"] = "yes";
    context.records = {{"home", "home", "example.com", RecordType::A},
                       {"home/AAAA", "home", "example.com", RecordType::AAAA}};
    context.http.timeout = std::chrono::milliseconds(2000);
    context.http.connectTimeout = std::chrono::milliseconds(1000);
    auto provider = makeProvider(*ProviderRegistry::builtin().find(setup.name), context);
    provider->prepare();
    provider->update(context.records[0], *IpAddress::parse("198.51.100.7"));
    provider->update(context.records[1], *IpAddress::parse("2001:db8::7"));
  }
  return 0;
}
