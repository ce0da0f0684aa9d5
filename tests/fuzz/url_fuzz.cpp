// SPDX-License-Identifier: MIT
// The url provider's reply handling and its presets' patterns (providers/url.cpp,
// providers/url_presets.cpp: PCRE2 patterns on the body, a JSON pointer into a json::parse'd
// body, the HTTP status fallback) over the plain-HTTP client: every reply comes from the
// fuzzer, raw (status line, headers, body), one per connection, split at "\n#####\n".
#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  std::vector<std::string> responses;
  auto& responder = fuzz::serveReplies(data, size, responses);
  const std::string base = "http://127.0.0.1:" + std::to_string(responder.port());
  const Record a{"home", "home", "example.com", RecordType::A};
  const Record aaaa{"home/AAAA", "home", "example.com", RecordType::AAAA};
  const auto run = [&](const std::string& name, std::map<std::string, std::string> settings,
                       const Record& record, const char* address) {
    ProviderContext context;
    context.section = name;
    context.settings = std::move(settings);
    context.records = {record};
    context.http.timeout = std::chrono::milliseconds(2000);
    context.http.connectTimeout = std::chrono::milliseconds(1000);
    auto provider = makeProvider(*ProviderRegistry::builtin().find(name), context);
    const UpdateResult r = provider->update(record, *IpAddress::parse(address));
    if (r.retryAfter) {
      r.retryAfter->count();
    }
  };
  run("url",
      {{"url", base + "/u?h={host}&ip={address}"},
       {"json_pointer", "/result/0/status"},
       {"updated_regex", "^(good|updated)"},
       {"unchanged_regex", "^nochg"},
       {"auth_failed_regex", "(?i)bad.?auth"},
       {"not_found_regex", "nohost"},
       {"retry_regex", "^(911|busy)"}},
      a, "198.51.100.7");
  run("url", {{"url", base + "/u"}, {"updated_regex", "(a|aa)+$"}}, aaaa, "2001:db8::7");
  run("dynv6", {{"url", base + "/a?{address}"}, {"url_ipv6", base + "/b"}, {"password", "t"}}, aaaa,
      "2001:db8::7");
  run("namecheap", {{"url", base + "/update"}, {"password", "t"}}, a, "198.51.100.7");
  run("freedns", {{"url", base + "/u/{password}/"}, {"password", "t"}}, a, "198.51.100.7");
  return 0;
}
