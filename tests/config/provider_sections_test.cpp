// SPDX-License-Identifier: MIT
#include "config/provider_sections.hpp"

#include <catch2/catch.hpp>

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::config;

std::vector<ProviderDecl> decls() {
  ProviderDecl alpha;
  alpha.name = "alpha";
  SettingSpec token;
  token.key = "token";
  token.type = SettingType::kSecret;
  token.required = true;
  alpha.settings.push_back(token);
  ProviderDecl beta;
  beta.name = "beta";
  return {alpha, beta};
}

TEST_CASE("Unit: a provider section is the provider's name, alone or with an account",
          "[config][unit]") {
  CHECK(providerOfSection(decls(), "Alpha") == "alpha");
  CHECK(providerOfSection(decls(), "alpha:work") == "alpha");
  CHECK(providerOfSection(decls(), "gamma").empty());
  Schema schema;
  CHECK(addProviderSection(schema, decls(), "alpha:work"));
  CHECK_FALSE(addProviderSection(schema, decls(), "record:x"));
  REQUIRE(schema.find("alpha:work", "token") != nullptr);
  CHECK(schema.find("alpha:work", "token")->required);
}

TEST_CASE("Unit: provider accounts carry every declared key and are found in any case",
          "[config][unit]") {
  IniDocument doc;
  std::vector<std::string> errors;
  REQUIRE(parseIniText("[alpha:Work]\ntoken = t\n[other]\n", "p.ini", doc, errors));
  Schema schema;
  addProviderSection(schema, decls(), "alpha:Work");
  Settings settings;
  loadSettings(schema, doc, settings, errors);
  const auto accounts = providerAccounts(decls(), doc, schema, settings);
  REQUIRE(accounts.size() == 1);
  CHECK(accounts[0].section == "alpha:work");
  CHECK(accounts[0].provider == "alpha");
  CHECK(accounts[0].settings.at("token") == "t");
  CHECK(accounts[0].where == "p.ini:1");
  CHECK(findAccount(accounts, "ALPHA:work") == &accounts[0]);
  CHECK(findAccount(accounts, "alpha") == nullptr);
  CHECK(missingAccountError("p.ini:3", "gamma", decls()) ==
        "p.ini:3: provider section [gamma] is not in the file (providers: alpha, beta)");
  // A near miss of a provider's name is named, with the label kept.
  CHECK(missingAccountError("p.ini:4", "btea", decls()) ==
        "p.ini:4: provider section [btea] is not in the file (did you mean beta? providers: "
        "alpha, beta)");
  CHECK(missingAccountError("p.ini:5", "Alpah:Work", decls()) ==
        "p.ini:5: provider section [Alpah:Work] is not in the file (did you mean alpha:Work? "
        "providers: alpha, beta)");
}

TEST_CASE("Unit: a record type names one record or an A and AAAA pair", "[config][unit]") {
  using Records = std::vector<std::pair<std::string, bool>>;
  CHECK(recordsOfType("home", "a") == Records{{"home", false}});
  CHECK(recordsOfType("home", "AAAA") == Records{{"home", true}});
  CHECK(recordsOfType("home", "both") == Records{{"home/A", false}, {"home/AAAA", true}});
  CHECK(isInstanceSection("record:x", "record:"));
  CHECK_FALSE(isInstanceSection("record:", "record:"));
  CHECK_FALSE(isInstanceSection("recordx", "record:"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
