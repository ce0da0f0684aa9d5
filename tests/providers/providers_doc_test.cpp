// SPDX-License-Identifier: MIT
// docs/PROVIDERS.md lists every provider and every setting each one declares (the single
// declaration in providers/<name>.cpp), and nothing that is not declared; the provider tables
// of README.md, docs/PROVIDERS.md and docs/UPDATER.md are the registry's own; every provider
// has a documentation link, a test against a fake and a runnable fake for chipmunk-fake.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "config/updater_config.hpp"
#include "providers/provider.hpp"
#include "tests/support/runnable_fake.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

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
  static const std::regex row("\\n\\| `([a-z0-9_-]+)` \\|");
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    keys.insert((*it)[1]);
  }
  return keys;
}

const std::string kDoc = std::string(CHIPMUNK_SOURCE_DIR) + "/docs/PROVIDERS.md";

// The text between the generated-table markers, or "(no markers)".
std::string generatedTable(const std::string& doc) {
  const auto begin = doc.find(kTableBegin);
  const auto end = doc.find(kTableEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return "(no markers)";
  }
  const auto start = begin + std::string(kTableBegin).size() + 1;
  return doc.substr(start, end - start);
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

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
    // A record-level setting is documented in the provider's section ("for one record").
    for (const auto& s : p.recordSettings) {
      CHECK(text.find("`" + s.key + "`") != std::string::npos);
      CHECK(text.find("[record:NAME]") != std::string::npos);
    }
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

TEST_CASE("ProvidersDoc: the provider tables of the README and docs are the registry's",
          "[providers][unit]") {
  // Fix: scripts/update-updater-doc.sh (after building chipmunk-updater).
  const std::string expected = markdownTable(ProviderRegistry::builtin());
  for (const char* doc : {"/README.md", "/docs/PROVIDERS.md", "/docs/UPDATER.md"}) {
    INFO(doc << ": run scripts/update-updater-doc.sh");
    CHECK(generatedTable(chipmunk::test::readFile(std::string(CHIPMUNK_SOURCE_DIR) + doc)) ==
          expected);
  }
}

TEST_CASE("ProvidersDoc: every provider has an API link, a service name and a tested fake",
          "[providers][unit]") {
  const std::string tests = std::string(CHIPMUNK_SOURCE_DIR) + "/tests/providers/";
  for (const auto& p : ProviderRegistry::builtin().all()) {
    INFO("provider " << p.name);
    // The API's documentation, or ours for a contract of our own (the url provider).
    CHECK((p.documentation.rfind("https://", 0) == 0 ||
           p.documentation == "docs/PROVIDERS.md#" + p.name));
    CHECK_FALSE(p.description.empty());
    CHECK(p.description.find('|') == std::string::npos);  // it goes into a Markdown table
    CHECK((p.ipv4 || p.ipv6));
    if (p.presetOf.empty()) {
      CHECK(fileExists(tests + p.name + "_test.cpp"));
    } else {
      // A preset is tested by name beside the others of its protocol.
      const std::string presets =
          chipmunk::test::readFile(tests + p.presetOf + "_presets_test.cpp");
      CHECK(presets.find("\"" + p.name + "\"") != std::string::npos);
    }
  }
}

TEST_CASE("ProvidersDoc: --list-providers' plain table names every provider", "[providers][unit]") {
  const std::string text = textTable(ProviderRegistry::builtin());
  for (const auto& p : ProviderRegistry::builtin().all()) {
    INFO("provider " << p.name);
    CHECK(text.find("\n" + p.name + " ") != std::string::npos);
    CHECK(text.find(p.documentation) != std::string::npos);
  }
}

TEST_CASE("ProvidersDoc: every provider with an HTTP fake runs in chipmunk-fake",
          "[providers][unit]") {
  // Without a fake server of its own: rfc2136 (real BIND, tests/support/bind_server.hpp), url
  // (a FakeHttpServer set up by each test) and the presets (their base's fake).
  const std::set<std::string> withoutFake = {"rfc2136", "url"};
  const auto& fakes = chipmunk::test::runnableFakes();
  for (const auto& p : ProviderRegistry::builtin().all()) {
    if (p.presetOf.empty() && withoutFake.count(p.name) == 0) {
      INFO("provider " << p.name << ": register a RunnableFake in tests/support/fake_" << p.name
                       << ".cpp (tests/support/runnable_fake.hpp)");
      CHECK(fakes.count(p.name) == 1);
    }
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
