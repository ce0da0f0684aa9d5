// SPDX-License-Identifier: MIT
// The reply handling of the HTTP-API providers (every provider marked httpApi, with dummy
// settings: tests/support/provider_fuzz_setups.hpp; listings,
// pagination links, edit and create results, error bodies sent with 4xx; JSON, and route53's
// XML through providers/xml_reply) over the plain-HTTP client. Every reply comes from the fuzzer,
// raw (status line, headers, body), one per connection, split at "\n#####\n"; each provider in turn
// consumes them from the start. A new HTTP-API provider is fuzzed with no edit here.
#include <cstdio>

#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/provider_fuzz_setups.hpp"

namespace {

const std::vector<chipmunk::test::ProviderFuzzSetup>& setups() {
  static const auto all = [] {
    auto s = chipmunk::test::providerFuzzSetups();
    std::fprintf(stderr, "json_providers_fuzz: %zu HTTP-API providers\n", s.size());
    return s;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  std::vector<std::string> responses;
  auto& responder = fuzz::serveReplies(data, size, responses);
  for (const auto& setup : setups()) {
    responder.setResponses(responses);  // each provider reads them from the first
    ProviderContext context;
    context.section = setup.info->name;
    context.settings = setup.settings;
    // Replies are served in order whatever the path: the endpoint needs none.
    context.settings["endpoint"] = "http://127.0.0.1:" + std::to_string(responder.port());
    context.records = {{"home", "home", "example.com", RecordType::A},
                       {"home/AAAA", "home", "example.com", RecordType::AAAA}};
    context.http.timeout = std::chrono::milliseconds(2000);
    context.http.connectTimeout = std::chrono::milliseconds(1000);
    auto provider = makeProvider(*setup.info, context);
    provider->prepare();
    provider->update(context.records[0], *IpAddress::parse("198.51.100.7"));
    provider->update(context.records[1], *IpAddress::parse("2001:db8::7"));
  }
  return 0;
}
