// SPDX-License-Identifier: MIT
#pragma once

// The set-up the provider tests share (tests/providers/<name>_test.cpp): building a built-in
// provider against a fake's endpoint, the home/AAAA/apex records, addresses from text, and the
// too-deep and oversized replies every JSON provider must survive.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.hpp"
#include "providers/provider.hpp"

namespace chipmunk::test {

// The built-in provider `name` in section `name`, built as the updater builds it
// (makeProvider: defaults filled in, required settings checked) from `settings`, then
// `extra` (which adds or overrides keys), serving `records`, with a 5 s timeout.
inline std::unique_ptr<providers::DnsProvider> makeTestProvider(
    const std::string& name, std::map<std::string, std::string> settings,
    std::vector<providers::Record> records, const std::map<std::string, std::string>& extra) {
  providers::ProviderContext context;
  context.section = name;
  context.settings = std::move(settings);
  for (const auto& [k, v] : extra) {
    context.settings[k] = v;
  }
  context.records = std::move(records);
  context.http.timeout = std::chrono::seconds(5);
  return providers::makeProvider(*providers::ProviderRegistry::builtin().find(name), context);
}

// home (A), home/AAAA and the apex (A) of `zone`.
struct HomeRecords {
  providers::Record home, home6, apex;
};

inline HomeRecords homeRecords(const std::string& zone) {
  using providers::RecordType;
  return {{"home", "home", zone, RecordType::A},
          {"home/AAAA", "home", zone, RecordType::AAAA},
          {"apex", "", zone, RecordType::A}};
}

// An address the test knows to be valid.
inline IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

// A reply nested deeper than json::parse accepts (refused without recursing: Failed).
inline std::string tooDeepJson() {
  return std::string(100000, '[');
}

// A JSON object of 2 MiB, larger than the HTTP client accepts (RetryLater).
inline std::string oversizedJson() {
  return "{\"pad\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
}

}  // namespace chipmunk::test
