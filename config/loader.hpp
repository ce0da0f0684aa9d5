// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/ini.hpp"
#include "config/settings.hpp"

namespace chipmunk::config {

// What a loader does once the file is parsed: its schema for this document, and the steps
// that turn validated settings into its config (cross-checks append to `errors`).
// `interpret` is given the document's sections only: its entries are in `settings` by then.
struct ConfigSteps {
  std::function<Schema(const IniDocument& doc)> schemaFor;
  std::function<void(const IniDocument& doc, const Schema& schema, const Settings& settings,
                     std::vector<std::string>& errors)>
      interpret;
};

// The one error policy of both programs' files: every problem is appended to `errors` as
// "path:line: message", and a bad setting does not stop the checks that follow it (a value
// that failed its check stands at its default meanwhile). Should a later step trip over a
// bad setting after all, the errors so far are what the user sees. The drop-ins of `path`
// (parseDropIns, config/ini.hpp) are read after it and checked with it. Returns true when the
// file had no problem; `interpret` runs unless the file could not be read at all.
bool loadConfigFile(const std::string& path, const ConfigSteps& steps,
                    std::vector<std::string>& errors);

}  // namespace chipmunk::config
