// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

// A config loaded the way chipmunk-updater loads it, and the errors it reported.
struct Loaded {
  TempDir dir;
  config::UpdaterConfig c;
  std::vector<std::string> errors;

  // Writes `text` to u.ini in dir and loads it; the errors of an earlier load are cleared.
  bool load(const std::string& text) {
    writeFile(dir.file("u.ini"), text);
    return loadFile(dir.file("u.ini"));
  }
  // Loads config/NAME from the source tree.
  bool loadSample(const std::string& name) {
    return loadFile(std::string(CHIPMUNK_SOURCE_DIR) + "/config/" + name);
  }
  bool hasError(const std::string& text) const {
    for (const auto& e : errors) {
      if (e.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

 private:
  bool loadFile(const std::string& path) {
    return updater::loadConfig(path, providers::ProviderRegistry::builtin(), c, errors);
  }
};

TEST_CASE("UpdaterConfig: the original client's sample loads unchanged", "[updater][unit]") {
  Loaded l;
  REQUIRE(l.loadSample("sample-cmclient.ini"));
  const auto& c = l.c;
  CHECK(l.errors.empty());
  CHECK(c.updateDns);
  CHECK_FALSE(c.daemonize);
  CHECK(c.verifyTls);
  CHECK(c.interval == std::chrono::seconds(300));
  CHECK(c.pidFile == "/run/chipmunk-updater.pid");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].kind == config::SourceKind::kChipmunk);
  CHECK(c.sources[0].username == "alice");
  CHECK_FALSE(c.sources[0].chipmunkSet);
  REQUIRE(c.records.size() == 1);
  CHECK(c.records[0].provider == "linode");
  CHECK(c.records[0].host == "home");
  CHECK(c.records[0].domain == "example.com");
  CHECK_FALSE(c.records[0].ipv6);
  CHECK(c.records[0].forceRefresh == std::chrono::hours(24 * 25));
}

TEST_CASE("UpdaterConfig: the full sample loads", "[updater][unit]") {
  Loaded l;
  REQUIRE(l.loadSample("chipmunk-updater.ini"));
  const auto& c = l.c;
  REQUIRE(c.sources.size() == 3);
  CHECK(c.sources[0].name == "chipmunk");
  CHECK(c.sources[0].chipmunkSet);
  CHECK(c.sources[1].kind == config::SourceKind::kInterface);
  CHECK(c.sources[2].jsonField == "ip");
  REQUIRE(c.records.size() == 3);
  CHECK(c.records[0].name == "home/A");
  CHECK(c.records[1].name == "home/AAAA");
  CHECK(c.records[1].ipv6);
  CHECK(c.records[2].provider == "dyndns2");
  CHECK(c.records[2].host == "office");
}

TEST_CASE("UpdaterConfig: every problem is reported with file and line", "[updater][unit]") {
  Loaded l;
  CHECK_FALSE(
      l.load("[Global]\nupdate_dns = maybe\ncolour = blue\n[Daemon]\ninterval = 0\n"
             "[bogus]\n[linode]\napi_key = t\nwhat = 1\n[Discovery]\nconsensus = 8\n"));
  // The checks after the settings run too: one run reports everything.
  for (const char* error :
       {"u.ini:2: [Global] update_dns", "u.ini:3: unknown setting \"colour\"",
        "u.ini:5: [Daemon] interval", "u.ini:6: unknown section [bogus]",
        "u.ini:9: unknown setting \"what\" in [linode]",
        "u.ini:11: [Discovery] consensus = 8 needs as many operators, the sources have 6"}) {
    INFO(error);
    CHECK(l.hasError(error));
  }
  CHECK(l.errors.size() == 6);
}

TEST_CASE("UpdaterConfig: semantic problems name their line", "[updater][unit]") {
  Loaded l;
  CHECK_FALSE(
      l.load("[source:a]\ntype = web\n[source:b]\ntype = web\nurl = ftp://x\n"
             "[source:c]\ntype = command\ncommand = echo\nregex = (\n"
             "[record:x]\nprovider = linode\ndomain = example.com\n"
             "[record:y]\ndomain = example.com\n"));
  for (const char* error : {"u.ini:1: [source:a] type = web needs url",
                            "u.ini:3: [source:b] url/endpoint must start with http",
                            "u.ini:9: [source:c] regex does not compile",
                            "u.ini:11: provider section [linode] is not in the file",
                            "u.ini:13: [record:y] names no provider"}) {
    INFO(error);
    CHECK(l.hasError(error));
  }
}

TEST_CASE("UpdaterConfig: a provider's required key is required", "[updater][unit]") {
  Loaded l;
  CHECK_FALSE(
      l.load("[source:a]\ntype = command\ncommand = echo\n[linode]\nhost = h\n"
             "domain = example.com\n[dDNS]\nprovider = linode\n"));
  CHECK(l.hasError("missing required setting [linode] api_key"));
}

TEST_CASE("UpdaterConfig: records, accounts, order and hosts", "[updater][unit]") {
  Loaded l;
  REQUIRE(
      l.load("[Global]\nstate_dir = st\nallow_private = yes\n"
             "[Discovery]\norder = second, first\n"
             "[source:first]\ntype = command\ncommand = echo 1\n"
             "[source:second]\ntype = web\nurl = http://127.0.0.1:1/ip\nfamily = ipv4\n"
             "[linode:work]\napi_key = t\n[dDNS]\nprovider = linode:work\n"
             "[record:apex]\ndomain = Example.COM\nhost = @\nforce_refresh = 0\n"
             "[record:fq]\ndomain = example.com\nhost = www.example.com.\ntype = aaaa\n"));
  const auto& c = l.c;
  CHECK(c.stateDir == l.dir.file("st"));
  CHECK(c.allowPrivate);
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].name == "second");
  CHECK(c.sources[0].family == config::FamilyFilter::kIPv4);
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[0].account == "linode:work");
  CHECK(c.records[0].host.empty());
  CHECK(c.records[0].domain == "example.com");
  CHECK(c.records[0].forceRefresh.count() == 0);
  CHECK(c.records[1].host == "www");
  CHECK(c.records[1].ipv6);
}

TEST_CASE("UpdaterConfig: no source, no record and duplicates are errors", "[updater][unit]") {
  Loaded l;
  CHECK_FALSE(
      l.load("[source:a]\ntype = command\ncommand = echo\n[linode]\napi_key = t\n"
             "[record:x]\nprovider = linode\ndomain = example.com\nhost = h\n"
             "[record:y]\nprovider = linode\ndomain = example.com\nhost = h.example.com\n"));
  CHECK(l.hasError("duplicates another record"));
  REQUIRE(l.load("[Global]\nupdate_dns = no\n[source:a]\ntype = command\ncommand = echo\n"));
  CHECK(l.c.records.empty());
}

TEST_CASE("UpdaterConfig: no source means the built-ins, with consensus 2", "[updater][unit]") {
  Loaded l;
  REQUIRE(
      l.load("[linode]\napi_key = t\n[record:home]\nprovider = linode\ndomain = example.com\n"
             "host = home\n"));
  CHECK(l.c.builtinDefaults);
  CHECK(l.c.effectiveConsensus() == 2);
  REQUIRE(l.c.sources.size() == 9);  // one per name, in table order
  CHECK(l.c.sources[0].name == "opendns");
  CHECK(l.c.sources[0].kind == config::SourceKind::kBuiltin);
  CHECK(l.c.sources[0].operatorName == "OpenDNS (Cisco)");
  // Named in order, beside a source of the file; consensus counts operators.
  const std::string sources =
      "[source:mine]\ntype = command\ncommand = echo\n[Global]\nupdate_dns = no\n";
  CHECK_FALSE(
      l.load("[Discovery]\norder = mine, icanhazip, cloudflare-trace\nconsensus = 3\n" + sources));
  CHECK(
      l.hasError("u.ini:3: [Discovery] consensus = 3 needs as many operators, the sources "
                 "have 2"));
  REQUIRE(l.load("[Discovery]\norder = mine, icanhazip, opendns\nconsensus = 3\n" + sources));
  CHECK_FALSE(l.c.builtinDefaults);
  REQUIRE(l.c.sources.size() == 3);
  CHECK(l.c.sources[0].operatorName == "mine");
  CHECK(l.c.sources[1].operatorName == "Cloudflare");
  CHECK(l.c.effectiveConsensus() == 3);
  CHECK_FALSE(l.load("[Discovery]\norder = nosuch\n" + sources));
  CHECK(l.hasError("u.ini:2: [Discovery] order: no source named \"nosuch\""));
}

TEST_CASE("UpdaterConfig: long command, regex and on_change lines work, longer ones are refused",
          "[updater][unit]") {
  Loaded l;
  const std::string command = "echo 198.51.100.7 #" + std::string(600, 'c');
  const std::string regex = "(?:" + std::string(300, 'x') + ")?([0-9.]+)";
  const std::string hook = "logger -t chipmunk " + std::string(500, 'h');
  REQUIRE(l.load("[Global]\nupdate_dns = no\n[source:a]\ntype = command\ncommand = " + command +
                 "\nregex = " + regex + "\n[Hooks]\non_change = " + hook + "\n"));
  REQUIRE(l.c.sources.size() == 1);
  CHECK(l.c.sources[0].command == command);
  CHECK(l.c.sources[0].regex == regex);
  CHECK(l.c.onChange == hook);
  CHECK_FALSE(l.load("[Global]\nupdate_dns = no\n[source:a]\ntype = command\ncommand = " +
                     std::string(20000, 'c') + "\n"));
  CHECK(l.hasError("u.ini:5: line longer than 16384 characters"));
}

TEST_CASE("UpdaterConfig: docs/UPDATER.md lists every setting", "[updater][unit]") {
  const std::string doc =
      chipmunk::test::readFile(std::string(CHIPMUNK_SOURCE_DIR) + "/docs/UPDATER.md");
  config::IniDocument sample;
  sample.sections = {{"source:NAME", 0}, {"record:NAME", 0}, {"notify:NAME", 0}};
  for (const auto& p : providers::ProviderRegistry::builtin().all()) {
    sample.sections.push_back({p.name, 0});
  }
  const auto schema =
      config::updaterSchema(updater::providerDecls(providers::ProviderRegistry::builtin()), sample);
  for (const auto& spec : schema.settings()) {
    INFO(spec.section << " " << spec.key);
    CHECK(doc.find("[" + spec.section + "]") != std::string::npos);
    CHECK(doc.find("  " + spec.key + " = ") != std::string::npos);
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
