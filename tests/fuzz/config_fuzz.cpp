// SPDX-License-Identifier: MIT
// The INI loader and validators (config/ini, settings, api_config, updater_config with the
// built-in providers' settings), fed from memory.
#include <string>
#include <vector>

#include "config/api_config.hpp"
#include "config/ini.hpp"
#include "config/updater_config.hpp"
#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "updater/updater.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  fuzz::quietLogging();
  static fuzz::MemoryFile file;
  static const auto decls = updater::providerDecls(providers::ProviderRegistry::builtin());

  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    config::IniDocument doc;
    std::vector<std::string> errors;
    config::parseIniText(text, "fuzz.ini", doc, errors);
  }
  const std::string path = file.write(data, size);
  {
    config::ApiConfig api;
    std::vector<std::string> errors;
    config::loadApiConfig(path, api, errors);
  }
  {
    config::UpdaterConfig upd;
    std::vector<std::string> errors;
    config::loadUpdaterConfig(path, decls, upd, errors);
  }
  return 0;
}
