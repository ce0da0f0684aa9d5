// SPDX-License-Identifier: MIT
// The Cloudflare v4 provider's reply handling (providers/cloudflare.cpp: the success/errors
// envelope, result_info paging, zone and record listings, PATCH and POST results) and the
// plain-HTTP client under it: every reply comes from the fuzzer, raw (status line, headers,
// body), one per connection, split at "\n#####\n".
#include <cstdio>

#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  std::vector<std::string> responses;
  auto& responder = fuzz::serveReplies(data, size, responses);

  ProviderContext context;
  context.section = "cloudflare";
  context.settings = {
      {"api_token", "fuzz-token"},
      {"endpoint", "http://127.0.0.1:" + std::to_string(responder.port()) + "/client/v4"},
      {"create_missing", "yes"},
      {"proxied", "keep"},
      {"ttl", "300"}};
  context.records = {{"home", "home", "example.com", RecordType::A},
                     {"home/AAAA", "home", "example.com", RecordType::AAAA}};
  context.http.timeout = std::chrono::milliseconds(2000);
  context.http.connectTimeout = std::chrono::milliseconds(1000);
  const ProviderInfo* info = ProviderRegistry::builtin().find("cloudflare");
  auto provider = info->create(context);
  const UpdateResult results[] = {
      provider->prepare(), provider->update(context.records[0], *IpAddress::parse("198.51.100.7")),
      provider->update(context.records[1], *IpAddress::parse("2001:db8::7"))};
  if (std::getenv("FUZZ_VERBOSE") != nullptr) {  // to see where a seed goes
    for (const auto& r : results) {
      std::fprintf(stderr, "%s %s retry-after=%lld\n", toString(r.status), r.detail.c_str(),
                   r.retryAfter ? static_cast<long long>(r.retryAfter->count()) : -1LL);
    }
  }
  return 0;
}
