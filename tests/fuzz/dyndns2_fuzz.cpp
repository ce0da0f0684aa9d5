// SPDX-License-Identifier: MIT
// The dyndns2 provider's reply lines (providers/dyndns2.cpp) and the plain-HTTP client
// under it (providers/http/plain_transport.cpp and http1.cpp: status line, headers, chunked
// bodies; retry_after.cpp: Retry-After).
#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  fuzz::quietLogging();
  static fuzz::LoopbackResponder responder;
  responder.setResponses(fuzz::splitResponses(data, size));

  ProviderContext context;
  context.section = "dyndns2";
  context.settings = {{"server", "http://127.0.0.1:" + std::to_string(responder.port())},
                      {"username", "fuzz-user"},
                      {"password", "fuzz-password"}};
  context.records = {{"home", "home", "example.com", RecordType::A}};
  context.http.timeout = std::chrono::milliseconds(2000);
  context.http.connectTimeout = std::chrono::milliseconds(1000);
  const ProviderInfo* info = ProviderRegistry::builtin().find("dyndns2");
  auto provider = info->create(context);
  provider->prepare();
  const UpdateResult r = provider->update(context.records[0], *IpAddress::parse("198.51.100.7"));
  if (r.retryAfter) {
    r.retryAfter->count();
  }
  return 0;
}
