// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>

#include "config/api_config.hpp"
#include "config/ini.hpp"
#include "config/settings.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::config;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

std::vector<std::string> loadText(const std::string& text, ApiConfig& out, const TempDir& dir) {
  writeFile(dir.file("c.ini"), text);
  std::vector<std::string> errors;
  loadApiConfig(dir.file("c.ini"), out, errors);
  return errors;
}

bool contains(const std::vector<std::string>& errors, const std::string& needle) {
  for (const auto& e : errors) {
    if (e.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_CASE("Unit: the INI reader keeps line numbers and reports every syntax error",
          "[config][unit]") {
  IniDocument doc;
  std::vector<std::string> errors;
  const bool ok = parseIniText(
      "; comment\n[A]\nkey = value ; inline\n  indented = yes\nnot a setting\n[broken\n"
      "x = " +
          std::string(16381, 'y') + "\n[B]\n= nokey\nk: v\n",
      "f.ini", doc, errors);
  CHECK_FALSE(ok);
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "f.ini:5: expected 'key = value', '[section]' or a comment");
  CHECK(errors[1].rfind("f.ini:6: malformed section header", 0) == 0);
  CHECK(errors[2] == "f.ini:7: line longer than 16384 characters");
  CHECK(errors[3] == "f.ini:9: missing key before '='");
  REQUIRE(doc.entries.size() == 3);
  CHECK(doc.entries[0].key == "key");
  CHECK(doc.entries[0].value == "value");
  CHECK(doc.entries[0].line == 3);
  CHECK(doc.entries[1].key == "indented");  // not a continuation line
  CHECK(doc.entries[1].line == 4);
  CHECK(doc.entries[2].section == "B");
  CHECK(doc.entries[2].line == 10);
}

TEST_CASE("Unit: a setting line longer than inih's buffer keeps its whole value",
          "[config][unit]") {
  IniDocument doc;
  std::vector<std::string> errors;
  const std::string longValue = "printf '%s' " + std::string(400, 'a') + "; echo done";
  const bool ok = parseIniText("[A]\nk = " + longValue + "   ; a comment\nnext = 1\n[" +
                                   std::string(250, 's') + "]\n" + std::string(250, 'k') + " = v\n",
                               "f.ini", doc, errors);
  CHECK_FALSE(ok);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "f.ini:4: line longer than 198 characters");  // a section name
  CHECK(errors[1] == "f.ini:5: line longer than 198 characters");  // a key
  REQUIRE(doc.entries.size() == 2);
  CHECK(doc.entries[0].value == longValue);  // ';' after white space starts a comment, as in inih
  CHECK(doc.entries[0].line == 2);
  CHECK(doc.entries[1].key == "next");
  CHECK(doc.entries[1].value == "1");
}

TEST_CASE("Unit: a setting before any section is an error", "[config][unit]") {
  IniDocument doc;
  std::vector<std::string> errors;
  CHECK_FALSE(parseIniText("a = b\n[S]\n", "g.ini", doc, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "g.ini:1: setting outside of any [section]");
}

TEST_CASE("Unit: durations and booleans", "[config][unit]") {
  long long s = 0;
  CHECK((parseSeconds("90", s) && s == 90));
  CHECK((parseSeconds("15m", s) && s == 900));
  CHECK((parseSeconds("2h", s) && s == 7200));
  CHECK((parseSeconds("25d", s) && s == 25 * 86400));
  CHECK_FALSE(parseSeconds("", s));
  CHECK_FALSE(parseSeconds("m", s));
  CHECK_FALSE(parseSeconds("-5", s));
  CHECK_FALSE(parseSeconds("5 m", s));
  bool b = false;
  CHECK((parseBool("Yes", b) && b));
  CHECK((parseBool("off", b) && !b));
  CHECK_FALSE(parseBool("maybe", b));
}

TEST_CASE("Unit: the original chipmunkapi.ini loads unchanged", "[config][unit]") {
  TempDir dir;
  ApiConfig cfg;
  const auto errors = loadText(
      "[Paths]\nclient_update_dir = " + dir.path() + "\n\n[Users]\nalice = secret\nBob = other\n",
      cfg, dir);
  CHECK(errors.empty());
  CHECK(cfg.dataDir == dir.path());
  REQUIRE(cfg.users.size() == 2);
  CHECK(cfg.users[0].name == "alice");
  CHECK_FALSE(cfg.users[0].hashed);
  CHECK(cfg.users[1].name == "Bob");
  CHECK(cfg.listenPort == 8080);
  CHECK(cfg.listenHost == "127.0.0.1");
  REQUIRE(cfg.warnings.size() == 2);
  CHECK(cfg.warnings[0].find("user alice has a plaintext password") != std::string::npos);
  CHECK(cfg.warnings[0].find("secret") == std::string::npos);
}

TEST_CASE("Unit: every config problem is reported at once with file and line", "[config][unit]") {
  TempDir dir;
  ApiConfig cfg;
  const auto errors = loadText(
      "[Server]\nlisten = 127.0.0.1:99999\nthreads = 0\nbogus = 1\n"
      "trusted_proxies = 10.0.0.0/8, not-an-ip\npublic_ip_endpoints = perhaps\n"
      "[Paths]\nclient_update_dir = does-not-exist\n"
      "[Users]\n../x = pw\nok = \nh = $pbkdf2-sha256$12$AA$BB\nok2 = a\nok2 = b\n"
      "[Sever]\nx = 1\n[Limits]\nheader_timeout = 10 minutes\n",
      cfg, dir);
  const std::string f = dir.file("c.ini");
  CHECK(contains(errors, f + ":2: [Server] listen: expected HOST:PORT"));
  CHECK(contains(errors, f + ":3: [Server] threads: expected an integer from 1 to 64"));
  CHECK(contains(errors, f + ":4: unknown setting \"bogus\" in [Server]"));
  CHECK_FALSE(contains(errors, "\"bogus\" in [Server] (did you mean"));  // near no setting
  CHECK(
      contains(errors, f + ":5: [Server] trusted_proxies: not an address or CIDR: \"not-an-ip\""));
  CHECK(contains(errors, f + ":6: [Server] public_ip_endpoints: expected yes or no"));
  CHECK(contains(errors, f + ":8: [Paths] client_update_dir: directory"));
  CHECK(contains(errors, f + ":10: [Users] invalid user name \"../x\""));
  CHECK(contains(errors, f + ":11: [Users] user ok has an empty password"));
  CHECK(contains(errors, f + ":12: [Users] user h: password hash iteration count"));
  CHECK(contains(errors, f + ":14: [Users] ok2 is set more than once"));
  CHECK(contains(errors, f + ":15: unknown section [Sever] (did you mean [Server]?)"));
  CHECK(contains(errors, f + ":18: [Limits] header_timeout: expected a duration"));
  CHECK(errors.size() == 12);
}

TEST_CASE("Unit: a missing required setting names the file", "[config][unit]") {
  TempDir dir;
  ApiConfig cfg;
  const auto errors = loadText("[Users]\na = b\n", cfg, dir);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == dir.file("c.ini") + ": missing required setting [Paths] client_update_dir");
}

TEST_CASE("Unit: backend = postgresql needs its conninfo, the file backend ignores one",
          "[config][unit]") {
  TempDir dir;
  const std::string base = "[Paths]\nclient_update_dir = .\n[Users]\na = b\n[Store]\n";
  ApiConfig cfg;
  auto errors = loadText(base + "backend = postgresql\n", cfg, dir);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind(dir.file("c.ini") + ":6: [Store] backend = postgresql needs", 0) == 0);
  ApiConfig ok;
  CHECK(
      loadText(base + "backend = postgresql\npostgresql = dbname=chipmunk password=Pw1\n", ok, dir)
          .empty());
  CHECK(ok.postgresqlConninfo == "dbname=chipmunk password=Pw1");
  ApiConfig file;
  CHECK(loadText(base + "postgresql = dbname=chipmunk password=Pw1\n", file, dir).empty());
  CHECK(std::count(file.warnings.begin(), file.warnings.end(),
                   dir.file("c.ini") + ":6: [Store] postgresql is ignored with backend = file") ==
        1);
}

TEST_CASE("Unit: an unreadable config file is one clear error", "[config][unit]") {
  ApiConfig cfg;
  std::vector<std::string> errors;
  CHECK_FALSE(loadApiConfig("/nonexistent/chipmunk.ini", cfg, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "/nonexistent/chipmunk.ini: cannot open: No such file or directory");
}

TEST_CASE("Unit: secrets never appear in config error messages", "[config][unit]") {
  TempDir dir;
  ApiConfig cfg;
  const auto errors =
      loadText("[Paths]\nclient_update_dir = .\n[Users]\n../evil = TopSecretPw1\n", cfg, dir);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("TopSecretPw1") == std::string::npos);
}

TEST_CASE("Unit: relative paths resolve against the config file's directory", "[config][unit]") {
  TempDir dir;
  ApiConfig cfg;
  writeFile(dir.file("marker"), "");
  const auto errors =
      loadText("[Paths]\nclient_update_dir = .\n[Log]\nfile = x.log\n[Users]\na = b\n", cfg, dir);
  CHECK(errors.empty());
  CHECK(cfg.logFile == dir.path() + "/x.log");
}

TEST_CASE("Unit: user names that could escape the data directory are refused", "[config][unit]") {
  CHECK(isValidUserName("alice"));
  CHECK(isValidUserName("host-1.example.org"));
  CHECK(isValidUserName("a@b"));
  for (const char* bad : {"", "../x", "a/b", ".hidden", "-x", "a b", "a:b", "a\\b",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    INFO(bad);
    CHECK_FALSE(isValidUserName(bad));
  }
}

TEST_CASE("Unit: the settings reference lists every declared setting", "[config][unit]") {
  const std::string ref = apiSchema().reference();
  for (const auto& spec : apiSchema().settings()) {
    INFO(spec.key);
    CHECK(ref.find(spec.key + " = ") != std::string::npos);
  }
  CHECK(ref.find("[Users]") != std::string::npos);
}

TEST_CASE("Unit: the shipped configs are valid", "[config][unit]") {
  ApiConfig cfg;
  std::vector<std::string> errors;
  // chipmunk-api.ini points at ../data, which the run script creates.
  TempDir dir;
  const std::string text = chipmunk::test::readFile(CHIPMUNK_SOURCE_DIR "/config/chipmunk-api.ini");
  std::string patched = text;
  const auto at = patched.find("client_update_dir = ../data");
  REQUIRE(at != std::string::npos);
  patched.replace(at, std::string("client_update_dir = ../data").size(), "client_update_dir = .");
  writeFile(dir.file("chipmunk-api.ini"), patched);
  CHECK(loadApiConfig(dir.file("chipmunk-api.ini"), cfg, errors));
  CHECK(errors.empty());
  REQUIRE(cfg.users.size() == 1);
  CHECK(cfg.users[0].name == "demo");
  CHECK(cfg.users[0].hashed);
  CHECK(cfg.warnings.empty());
}

TEST_CASE("Unit: docs/CONFIG.md lists every declared setting", "[config][unit]") {
  const std::string doc = chipmunk::test::readFile(CHIPMUNK_SOURCE_DIR "/docs/CONFIG.md");
  for (const auto& spec : apiSchema().settings()) {
    INFO(spec.section << "." << spec.key);
    CHECK(doc.find("  " + spec.key + " = " + spec.defaultValue) != std::string::npos);
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
