// The Porkbun provider's reply handling (providers/porkbun.cpp: the status/message replies,
// the record listing, edit and create results) over the plain-HTTP client: every reply comes
// from the fuzzer, raw (status line, headers, body), one per connection, split at
// "\n#####\n".
#include "fuzz_support.hpp"
#include "provider.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  fuzz::quietLogging();
  static fuzz::LoopbackResponder responder;
  const auto responses = fuzz::splitResponses(data, size);
  responder.setResponses(responses);
  for (const auto& r : responses) {
    const auto body = r.find("\r\n\r\n");
    fuzz::checkBoundedJson(body == std::string::npos ? r : r.substr(body + 4));
  }
  ProviderContext context;
  context.section = "porkbun";
  context.settings = {
      {"api_key", "pk1_fuzz"},
      {"secret_api_key", "sk1_fuzz"},
      {"endpoint", "http://127.0.0.1:" + std::to_string(responder.port()) + "/api/json/v3"},
      {"create_missing", "yes"}};
  context.records = {{"home", "home", "example.com", RecordType::A},
                     {"home/AAAA", "home", "example.com", RecordType::AAAA}};
  context.http.timeout = std::chrono::milliseconds(2000);
  context.http.connectTimeout = std::chrono::milliseconds(1000);
  auto provider = makeProvider(*ProviderRegistry::builtin().find("porkbun"), context);
  provider->prepare();
  provider->update(context.records[0], *IpAddress::parse("198.51.100.7"));
  provider->update(context.records[1], *IpAddress::parse("2001:db8::7"));
  return 0;
}
