// SPDX-License-Identifier: MIT
// What the provider fuzz target (tests/fuzz/json_providers_fuzz.cpp) runs, derived from the
// registry: every provider marked httpApi (built with providerOf, providers/json_api.hpp), each
// required setting filled with a dummy of its type. A new HTTP-API provider is fuzzed without
// an edit here; tests/providers/provider_fuzz_setups_test.cpp checks that each one builds.
// Header only: the fuzz build does not link tests/support.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace chipmunk::test {

struct ProviderFuzzSetup {
  const providers::ProviderInfo* info;
  std::map<std::string, std::string> settings;  // all but `endpoint`
};

// A value `spec` accepts: its first choice, its minimum (at least 1) or a string with a dot
// (IONOS keys are "prefix.secret").
inline std::string dummyValue(const config::SettingSpec& spec) {
  using T = config::SettingType;
  if (!spec.choices.empty()) {
    return spec.choices.front();
  }
  if (spec.type == T::kInteger || spec.type == T::kSeconds) {
    return std::to_string(std::max(1LL, spec.min));
  }
  if (spec.type == T::kBool) {
    return "no";
  }
  return "fuzz.fuzz";
}

inline std::vector<ProviderFuzzSetup> providerFuzzSetups() {
  std::vector<ProviderFuzzSetup> setups;
  for (const auto& p : providers::ProviderRegistry::builtin().all()) {
    if (!p.httpApi) {
      continue;
    }
    ProviderFuzzSetup setup{&p, {{"create_missing", "yes"}}};
    for (const auto& s : p.settings) {
      if (s.required) {
        setup.settings[s.key] = dummyValue(s);
      }
    }
    setups.push_back(std::move(setup));
  }
  return setups;
}

}  // namespace chipmunk::test
