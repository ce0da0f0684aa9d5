// SPDX-License-Identifier: MIT
// Secret settings given as `<name>_file` (config/secret_file.hpp), through the one loader
// both programs use, and drop-ins (<config>.d/*.ini) read after the main file.
#include "config/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include <catch2/catch.hpp>

#include "config/api_config.hpp"
#include "config/loader.hpp"
#include "tests/support/notify_socket.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::config;
using namespace chipmunk::test;

// [Main] token (secret), n (integer), list; [Users] NAME = VALUE.
ConfigSteps steps(std::function<void(const Settings&)> interpret) {
  ConfigSteps s;
  s.schemaFor = [](const IniDocument&) {
    Schema schema;
    for (SettingSpec spec :
         {SettingSpec(Setting("token", SettingType::kSecret)),
          SettingSpec(Setting("n", SettingType::kInteger).range(1, 9).byDefault("1")),
          SettingSpec(Setting("list", SettingType::kString))}) {
      spec.section = "Main";
      schema.add(spec);
    }
    schema.addDynamicSection({"Users", "name", "value", nullptr});
    return schema;
  };
  s.interpret = [interpret](const IniDocument&, const Schema&, const Settings& settings,
                            std::vector<std::string>&) { interpret(settings); };
  return s;
}

// The [Main] token `config` loads to; the load must succeed (`errors` gets what it found).
std::string loadedToken(const std::string& config, std::vector<std::string>& errors) {
  std::string token;
  REQUIRE(loadConfigFile(
      config, steps([&](const Settings& s) { token = s.getString("Main", "token"); }), errors));
  return token;
}

void secretFile(const std::string& path, const std::string& content, mode_t mode) {
  writeFile(path, content);
  ::chmod(path.c_str(), mode);
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e + "\n";
  }
  return out;
}

TEST_CASE("Secret files: the value is the file's one line, its last newline dropped",
          "[config][unit]") {
  TempDir dir;
  secretFile(dir.file("t"), "s3cret value\n", 0600);
  writeFile(dir.file("c.ini"), "[Main]\ntoken_file = t\n");
  std::vector<std::string> errors;
  std::string token;
  std::string where;
  REQUIRE(loadConfigFile(dir.file("c.ini"), steps([&](const Settings& s) {
                           token = s.getString("Main", "token");
                           where = s.where("Main", "token");
                         }),
                         errors));
  CHECK(token == "s3cret value");
  CHECK(where == dir.file("c.ini") + ":2");
  secretFile(dir.file("t"), "crlf\r\n", 0400);
  CHECK(loadedToken(dir.file("c.ini"), errors) == "crlf");
}

TEST_CASE("Secret files: every problem is file:line naming the setting, never the content",
          "[config][unit]") {
  TempDir dir;
  const auto errorsFor = [&](const std::string& content, mode_t mode) {
    secretFile(dir.file("t"), content, mode);
    std::vector<std::string> errors;
    CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
    return joined(errors);
  };
  writeFile(dir.file("c.ini"), "[Main]\nn = 2\ntoken_file = t\n");
  const std::string at = dir.file("c.ini") + ":3: [Main] token_file: " + dir.file("t") + ": ";
  CHECK(errorsFor("hunter2\n", 0640).find(at + "mode 0640 lets group or others") !=
        std::string::npos);
  CHECK(errorsFor("hunter2\n", 0604).find("hunter2") == std::string::npos);
  CHECK(errorsFor("two\nlines\n", 0600).find(at + "the file holds more than one line") !=
        std::string::npos);
  CHECK(errorsFor("", 0600).find(at + "the file is empty") != std::string::npos);
  CHECK(errorsFor(std::string(kMaxSecretFileBytes + 1, 'x'), 0600)
            .find(at + "larger than 65536 bytes") != std::string::npos);
  ::unlink(dir.file("t").c_str());
  std::vector<std::string> errors;
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(dir.file("c.ini") + ":3: [Main] token_file: " + dir.file("t") +
                            ": no such file") != std::string::npos);
  // Both forms in one file.
  secretFile(dir.file("t"), "x", 0600);
  writeFile(dir.file("c.ini"), "[Main]\ntoken_file = t\ntoken = y\n");
  errors.clear();
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(dir.file("c.ini") + ":3: [Main] token and token_file are both set") !=
        std::string::npos);
  // A setting that is not a secret has no _file form.
  writeFile(dir.file("c.ini"), "[Main]\nn_file = t\n");
  errors.clear();
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(":2: unknown setting \"n_file\" in [Main]") != std::string::npos);
}

TEST_CASE("Secret files: $CREDENTIALS_DIRECTORY/NAME, group bits allowed there only",
          "[config][unit]") {
  TempDir dir;
  TempDir credentials;
  secretFile(credentials.file("tok"), "from-systemd", 0440);
  writeFile(dir.file("c.ini"), "[Main]\ntoken_file = $CREDENTIALS_DIRECTORY/tok\n");
  ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.path());
  std::vector<std::string> errors;
  CHECK(loadedToken(dir.file("c.ini"), errors) == "from-systemd");
  writeFile(dir.file("c.ini"), "[Main]\ntoken_file = $CREDENTIALS_DIRECTORY/../tok\n");
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(":2: [Main] token_file: expected $CREDENTIALS_DIRECTORY/NAME") !=
        std::string::npos);
}

TEST_CASE("Secret files: chipmunk-api's Store postgresql_file", "[config][unit]") {
  TempDir dir;
  ::mkdir(dir.file("data").c_str(), 0755);
  secretFile(dir.file("pg"), "host=/run/postgresql dbname=chipmunk password=pw\n", 0600);
  writeFile(dir.file("api.ini"),
            "[Paths]\nclient_update_dir = data\n[Store]\nbackend = postgresql\n"
            "postgresql_file = pg\n");
  ApiConfig config;
  std::vector<std::string> errors;
  REQUIRE(loadApiConfig(dir.file("api.ini"), config, errors));
  CHECK(config.postgresqlConninfo == "host=/run/postgresql dbname=chipmunk password=pw");
}

TEST_CASE("Drop-ins: <config>.d/*.ini after the main file, in lexical order, errors file:line",
          "[config][unit]") {
  TempDir dir;
  writeFile(dir.file("c.ini"), "[Main]\nn = 1\nlist = a b\n[Users]\nann = 1\nbob = 2\n");
  ::mkdir(dir.file("c.d").c_str(), 0755);
  writeFile(dir.file("c.d/20-late.ini"), "[Main]\nn = 3\n[Users]\nbob = 9\n");
  writeFile(dir.file("c.d/10-early.ini"), "[Main]\nn = 2\nlist = c\n");
  writeFile(dir.file("c.d/30-ignored.ini~"), "[Main]\nn = 7\n");
  writeFile(dir.file("c.d/.hidden.ini"), "[Main]\nn = 8\n");
  CHECK(dropInDirectory(dir.file("c.ini")) == dir.file("c.d"));
  CHECK(dropInDirectory("/etc/chipmunk/chipmunk-updater.ini") == "/etc/chipmunk/updater.d");
  CHECK(dropInDirectory("/etc/chipmunk/chipmunk-api.ini") == "/etc/chipmunk/api.d");
  CHECK(dropInDirectory("/etc/chipmunk-x/home.ini") == "/etc/chipmunk-x/home.d");
  CHECK(dropInDirectory("chipmunk-.ini") == "chipmunk-.d");
  std::vector<std::string> errors;
  long long n = 0;
  std::vector<std::string> list;
  std::vector<std::string> users;
  std::string where;
  REQUIRE(loadConfigFile(dir.file("c.ini"), steps([&](const Settings& s) {
                           n = s.getInt("Main", "n");
                           list = s.getList("Main", "list");
                           where = s.where("Main", "n");
                           for (const auto& e : s.entries("Users")) {
                             users.push_back(e.key + "=" + e.value + "@" + s.where(e));
                           }
                         }),
                         errors));
  CHECK(n == 3);
  CHECK(where == dir.file("c.d/20-late.ini") + ":2");
  CHECK(list == std::vector<std::string>{"c"});  // a list is replaced whole
  CHECK(users == std::vector<std::string>{"ann=1@" + dir.file("c.ini") + ":5",
                                          "bob=9@" + dir.file("c.d/20-late.ini") + ":4"});

  writeFile(dir.file("c.d/20-late.ini"), "[Main]\nn = 3\nn = 4\nbogus = 1\n[Nope]\n");
  errors.clear();
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  const std::string text = joined(errors);
  INFO(text);
  CHECK(text.find(dir.file("c.d/20-late.ini") + ":3: [Main] n is set more than once") !=
        std::string::npos);
  CHECK(text.find(dir.file("c.d/20-late.ini") + ":4: unknown setting \"bogus\" in [Main]") !=
        std::string::npos);
  CHECK(text.find(dir.file("c.d/20-late.ini") + ":5: unknown section [Nope]") != std::string::npos);

  // A secret in the main file, its _file form in a drop-in: the drop-in's wins.
  writeFile(dir.file("c.ini"), "[Main]\ntoken = plain\n");
  writeFile(dir.file("c.d/20-late.ini"), "[Main]\ntoken_file = t\n");
  secretFile(dir.file("t"), "from-file\n", 0600);
  errors.clear();
  CHECK(loadedToken(dir.file("c.ini"), errors) == "from-file");
}

TEST_CASE("Drop-ins: more than kMaxDropIns files or one over kMaxDropInBytes is an error",
          "[config][unit]") {
  TempDir dir;
  writeFile(dir.file("c.ini"), "[Main]\nn = 1\n");
  ::mkdir(dir.file("c.d").c_str(), 0755);
  for (size_t i = 0; i < kMaxDropIns; ++i) {
    writeFile(dir.file("c.d/" + std::to_string(1000 + i) + ".ini"), "[Main]\nn = 2\n");
  }
  std::vector<std::string> errors;
  CHECK(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  writeFile(dir.file("c.d/9999.ini"), "[Main]\nn = 3\n");  // one more than the bound
  errors.clear();
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find("more than " + std::to_string(kMaxDropIns) + " drop-in files") !=
        std::string::npos);

  TempDir big;
  writeFile(big.file("c.ini"), "[Main]\nn = 1\n");
  ::mkdir(big.file("c.d").c_str(), 0755);
  const std::string huge = big.file("c.d/10-huge.ini");
  writeFile(huge, "[Main]\nn = 2\n");  // then sparse, one byte past the bound
  REQUIRE(::truncate(huge.c_str(), static_cast<off_t>(kMaxDropInBytes) + 1) == 0);
  errors.clear();
  CHECK_FALSE(loadConfigFile(big.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(huge + ": larger than " + std::to_string(kMaxDropInBytes)) !=
        std::string::npos);
}

TEST_CASE("Drop-ins and secret files: a FIFO in a file's place is refused, never waited on",
          "[config][unit]") {
  TempDir dir;
  writeFile(dir.file("c.ini"), "[Main]\nn = 1\n");
  ::mkdir(dir.file("c.d").c_str(), 0755);
  const std::string fifo = dir.file("c.d/20-fifo.ini");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::vector<std::string> errors;
  auto load = std::async(std::launch::async, [&] {
    return loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors);
  });
  if (load.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    FAIL_CHECK("the loader waits for a writer on the FIFO");
    ::close(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // lets it go on (end of file)
  }
  CHECK_FALSE(load.get());
  CHECK(joined(errors).find(fifo + ": not a regular file") != std::string::npos);

  ::unlink(fifo.c_str());
  REQUIRE(::mkfifo(dir.file("t").c_str(), 0600) == 0);
  writeFile(dir.file("c.ini"), "[Main]\ntoken_file = t\n");
  errors.clear();
  CHECK_FALSE(loadConfigFile(dir.file("c.ini"), steps([](const Settings&) {}), errors));
  CHECK(joined(errors).find(dir.file("t") + ": not a regular file") != std::string::npos);

  // Links are followed, to a drop-in as to a secret (a mounted secret is often one).
  ::unlink(dir.file("t").c_str());
  secretFile(dir.file("real-token"), "linked\n", 0600);
  REQUIRE(::symlink(dir.file("real-token").c_str(), dir.file("t").c_str()) == 0);
  writeFile(dir.file("shared.ini"), "[Main]\ntoken_file = t\n");
  writeFile(dir.file("c.ini"), "[Main]\nn = 1\n");
  REQUIRE(::symlink(dir.file("shared.ini").c_str(), dir.file("c.d/30-link.ini").c_str()) == 0);
  errors.clear();
  CHECK(loadedToken(dir.file("c.ini"), errors) == "linked");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
