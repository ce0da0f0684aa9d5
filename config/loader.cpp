// SPDX-License-Identifier: MIT
#include "config/loader.hpp"

#include <exception>

namespace chipmunk::config {

bool loadConfigFile(const std::string& path, const ConfigSteps& steps,
                    std::vector<std::string>& errors) {
  IniDocument doc;
  const size_t before = errors.size();
  if (!parseIniFile(path, doc, errors) && doc.path.empty()) {
    return false;  // could not be read at all
  }
  parseDropIns(doc, errors);  // <config>.d/*.ini, after the main file
  const Schema schema = steps.schemaFor(doc);
  Settings settings;
  loadSettings(schema, doc, settings, errors);
  // The settings hold what the steps need of the entries (the steps read doc.sections
  // only): release them now rather than beside everything the steps build from them.
  std::vector<IniEntry>().swap(doc.entries);
  const size_t settingErrors = errors.size();
  try {
    steps.interpret(doc, schema, settings, errors);
  } catch (const std::exception&) {
    if (settingErrors == before) {
      throw;  // a programmer error, not a consequence of a bad setting
    }
    errors.resize(settingErrors);
  }
  return errors.size() == before;
}

}  // namespace chipmunk::config
