// docs/PROVIDERS.md lists every provider and every setting each one declares (the single
// declaration in providers/<name>.cpp), and nothing that is not declared.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "provider.hpp"
#include "temp_dir.hpp"
#include "updater_config.hpp"

using namespace chipmunk::providers;

namespace {

// The text from "## <title>" to the next "## " heading.
std::string section(const std::string& doc, const std::string& title) {
  const std::string heading = "\n## " + title + "\n";
  const auto start = doc.find(heading);
  if (start == std::string::npos) {
    return {};
  }
  const auto end = doc.find("\n## ", start + heading.size());
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Keys in the first column of the section's tables: "| `key` |".
std::set<std::string> tableKeys(const std::string& text) {
  std::set<std::string> keys;
  static const std::regex row("\\n\\| `([a-z0-9_]+)` \\|");
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    keys.insert((*it)[1]);
  }
  return keys;
}

const std::string kDoc = std::string(CHIPMUNK_SOURCE_DIR) + "/docs/PROVIDERS.md";

}  // namespace

TEST_CASE("ProvidersDoc: every provider has a table row with its API link and its settings",
          "[providers][unit]") {
  const std::string doc = chipmunk::test::readFile(kDoc);
  REQUIRE_FALSE(doc.empty());
  const std::string table = doc.substr(0, doc.find("\n## "));
  std::set<std::string> names;
  for (const auto& p : ProviderRegistry::builtin().all()) {
    INFO("provider " << p.name);
    names.insert(p.name);
    CHECK(tableKeys(table).count(p.name) == 1);
    CHECK(doc.find(p.documentation) != std::string::npos);
    const std::string text = section(doc, p.name);
    REQUIRE_FALSE(text.empty());
    std::set<std::string> declared;
    for (const auto& s : p.settings) {
      declared.insert(s.key);
    }
    CHECK(tableKeys(text) == declared);
  }
  // No row for a provider that does not exist.
  CHECK(tableKeys(table) == names);
}

TEST_CASE("ProvidersDoc: the record settings table matches the record schema",
          "[providers][unit]") {
  const std::string doc = chipmunk::test::readFile(kDoc);
  chipmunk::config::IniDocument sample;
  sample.sections = {{"record:x", 0}};
  std::set<std::string> declared;
  const auto schema = chipmunk::config::updaterSchema({}, sample);
  for (const auto& s : schema.settings()) {
    if (s.section == "record:x") {
      declared.insert(s.key);
    }
  }
  REQUIRE_FALSE(declared.empty());
  CHECK(tableKeys(section(doc, "Records: A, AAAA or both")) == declared);
  // The keys every provider section accepts are named in the text.
  for (const auto& s : commonProviderSettings()) {
    CHECK(doc.find("`" + s.key + "`") != std::string::npos);
  }
}
