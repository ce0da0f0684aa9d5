// SPDX-License-Identifier: MIT
#include "config/loader.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::config;

ConfigSteps steps(std::function<void(const Settings&, std::vector<std::string>&)> interpret) {
  ConfigSteps s;
  s.schemaFor = [](const IniDocument&) {
    Schema schema;
    SettingSpec n;
    n.section = "Main";
    n.key = "n";
    n.type = SettingType::kInteger;
    n.defaultValue = "1";
    n.min = 1;
    n.max = 5;
    schema.add(n);
    return schema;
  };
  s.interpret = [interpret](const IniDocument&, const Schema&, const Settings& settings,
                            std::vector<std::string>& errors) { interpret(settings, errors); };
  return s;
}

TEST_CASE("Unit: the steps after a bad setting run too, so one run reports every error",
          "[config][unit]") {
  chipmunk::test::TempDir dir;
  chipmunk::test::writeFile(dir.file("l.ini"), "[Main]\nn = 9\n");
  std::vector<std::string> errors;
  CHECK_FALSE(loadConfigFile(dir.file("l.ini"),
                             steps([](const Settings& settings, std::vector<std::string>& e) {
                               CHECK(settings.getInt("Main", "n") == 1);  // the default
                               e.push_back("later: problem");
                             }),
                             errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("l.ini:2: [Main] n: expected an integer") != std::string::npos);
  CHECK(errors[1] == "later: problem");
}

TEST_CASE("Unit: a step that trips over a bad setting leaves the errors so far", "[config][unit]") {
  chipmunk::test::TempDir dir;
  chipmunk::test::writeFile(dir.file("l.ini"), "[Main]\nn = x\n");
  std::vector<std::string> errors;
  const auto tripping = steps([](const Settings&, std::vector<std::string>& e) {
    e.push_back("half-done");
    throw std::logic_error("tripped");
  });
  CHECK_FALSE(loadConfigFile(dir.file("l.ini"), tripping, errors));
  REQUIRE(errors.size() == 1);
  // Without a bad setting to blame, the exception is a programmer error and goes on.
  chipmunk::test::writeFile(dir.file("l.ini"), "[Main]\nn = 2\n");
  errors.clear();
  CHECK_THROWS_AS(loadConfigFile(dir.file("l.ini"), tripping, errors), std::logic_error);
}

TEST_CASE("Unit: an unreadable file is one error and no step runs", "[config][unit]") {
  std::vector<std::string> errors;
  bool ran = false;
  CHECK_FALSE(loadConfigFile("/nonexistent/l.ini",
                             steps([&](const Settings&, std::vector<std::string>&) { ran = true; }),
                             errors));
  CHECK(errors.size() == 1);
  CHECK_FALSE(ran);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
