// SPDX-License-Identifier: MIT
#include "config/setting_table.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::config;

enum class Colour { kRed, kBlue };

struct Sample {
  std::string name;
  std::string secret;
  bool on = false;
  int count = 0;
  std::chrono::seconds wait{};
  std::optional<std::chrono::seconds> override;
  std::string file;
  std::string listenHost;
  uint16_t listenPort = 0;
  std::vector<std::string> words;
  std::string level;
  Colour colour = Colour::kRed;
};

SettingTable<Sample> table() {
  SettingTable<Sample> t;
  t.setting("Main", "name").text(&Sample::name).byDefault("anon").help("A name.");
  t.setting("Main", "secret").secret(&Sample::secret).help("A secret.");
  t.setting("Main", "on").flag(&Sample::on).byDefault("yes").help("On or off.");
  t.setting("Main", "count").integer(&Sample::count).range(1, 9).byDefault("3").help("Count.");
  t.setting("Main", "wait").seconds(&Sample::wait).range(1, 3600).byDefault("2m").help("Wait.");
  t.setting("Main", "override").seconds(&Sample::override).range(0, 60).help("Override.");
  t.setting("Main", "file").path(&Sample::file).help("A file.");
  t.setting("Main", "listen")
      .hostPort(&Sample::listenHost, &Sample::listenPort)
      .byDefault("127.0.0.1:81")
      .help("Where.");
  t.setting("Main", "words").list(&Sample::words).help("Words.");
  t.setting("Main", "level").choice(&Sample::level, {"low", "high"}).byDefault("low").help("Lvl.");
  t.setting("Main", "colour")
      .choice(&Sample::colour, {{"red", Colour::kRed}, {"blue", Colour::kBlue}})
      .byDefault("blue")
      .help("Colour.");
  return t;
}

TEST_CASE("Unit: a setting row declares its key, type, range, default and help once",
          "[config][unit]") {
  Schema schema;
  table().declare(schema);
  const SettingSpec* count = schema.find("main", "COUNT");
  REQUIRE(count != nullptr);
  CHECK(count->type == SettingType::kInteger);
  CHECK(count->min == 1);
  CHECK(count->max == 9);
  CHECK(count->defaultValue == "3");
  CHECK(count->help == "Count.");
  CHECK(schema.find("Main", "secret")->type == SettingType::kSecret);
  CHECK(schema.find("Main", "colour")->choices == std::vector<std::string>{"red", "blue"});
  CHECK(schema.reference().find("  level = low    (low|high)\n      Lvl.") != std::string::npos);
}

TEST_CASE("Unit: a struct takes its defaults from the rows", "[config][unit]") {
  Sample s;
  table().applyDefaults(s);
  CHECK(s.name == "anon");
  CHECK(s.on);
  CHECK(s.count == 3);
  CHECK(s.wait == std::chrono::minutes(2));
  CHECK_FALSE(s.override.has_value());
  CHECK(s.file.empty());
  CHECK(s.listenHost == "127.0.0.1");
  CHECK(s.listenPort == 81);
  CHECK(s.words.empty());
  CHECK(s.level == "low");
  CHECK(s.colour == Colour::kBlue);
}

TEST_CASE("Unit: a loaded file fills the fields its rows name", "[config][unit]") {
  chipmunk::test::TempDir dir;
  IniDocument doc;
  std::vector<std::string> errors;
  REQUIRE(
      parseIniText("[Main]\nname = bob\non = no\ncount = 9\noverride = 30s\nfile = f.txt\n"
                   "listen = [::1]:90\nwords = a, b c\nlevel = HIGH\ncolour = Red\n",
                   dir.file("s.ini"), doc, errors));
  Schema schema;
  const auto rows = table();
  rows.declare(schema);
  Settings settings;
  REQUIRE(loadSettings(schema, doc, settings, errors));
  Sample s;
  rows.apply(settings, s);
  CHECK(s.name == "bob");
  CHECK_FALSE(s.on);
  CHECK(s.count == 9);
  CHECK(s.override == std::chrono::seconds(30));
  CHECK(s.file == dir.file("f.txt"));
  CHECK(s.listenHost == "::1");
  CHECK(s.listenPort == 90);
  CHECK(s.words == std::vector<std::string>{"a", "b", "c"});
  CHECK(s.level == "high");
  CHECK(s.colour == Colour::kRed);
}

TEST_CASE("Unit: rows without a section serve every instance of one", "[config][unit]") {
  SettingTable<Sample> t;
  t.setting("", "name").text(&Sample::name).required().help("A name.");
  Schema schema;
  t.declare(schema, "item:one");
  t.declare(schema, "item:two");
  REQUIRE(schema.find("item:one", "name") != nullptr);
  CHECK(schema.find("item:two", "name")->required);
  IniDocument doc;
  std::vector<std::string> errors;
  REQUIRE(parseIniText("[item:one]\nname = x\n[item:two]\nname = y\n", "i.ini", doc, errors));
  Settings settings;
  REQUIRE(loadSettings(schema, doc, settings, errors));
  Sample two;
  t.apply(settings, two, "item:two");
  CHECK(two.name == "y");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
