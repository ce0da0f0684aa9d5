// SPDX-License-Identifier: MIT
// The Linode v4 provider's reply handling (providers/linode.cpp) and the plain-HTTP client
// under it (providers/http/plain_transport.cpp): every reply the provider reads comes from the
// fuzzer, raw (status line, headers, body), one per connection.
#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  std::vector<std::string> responses;
  auto& responder = fuzz::serveReplies(data, size, responses);

  ProviderContext context;
  context.section = "linode";
  context.settings = {{"api_key", "fuzz-token"},
                      {"endpoint", "http://127.0.0.1:" + std::to_string(responder.port()) + "/v4"},
                      {"create_missing", "yes"},
                      {"ttl", "300"}};
  context.records = {{"home", "home", "example.com", RecordType::A},
                     {"home/AAAA", "home", "example.com", RecordType::AAAA}};
  context.http.timeout = std::chrono::milliseconds(2000);
  context.http.connectTimeout = std::chrono::milliseconds(1000);
  const ProviderInfo* info = ProviderRegistry::builtin().find("linode");
  auto provider = info->create(context);
  provider->prepare();
  provider->update(context.records[0], *IpAddress::parse("198.51.100.7"));
  provider->update(context.records[1], *IpAddress::parse("2001:db8::7"));
  return 0;
}
