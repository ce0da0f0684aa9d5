// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/strings.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::hexOf;
using chipmunk::lowercase;
using chipmunk::trimAscii;

TEST_CASE("Unit: hexOf writes two lower-case digits a byte, NUL and 0xff included", "[unit]") {
  CHECK(hexOf("").empty());
  CHECK(hexOf(std::string("\x00\x0f\xa5\xff", 4)) == "000fa5ff");
  CHECK(hexOf("Az") == "417a");
}

TEST_CASE("Unit: lowercase and trimAscii touch ASCII only", "[unit]") {
  CHECK(lowercase("X-Real-IP \xc3\x89") == "x-real-ip \xc3\x89");
  CHECK(trimAscii(" \t\r\nname \r\n") == "name");
  CHECK(trimAscii(" \t ").empty());
}

TEST_CASE("Unit: equalsIgnoringCase folds A-Z only", "[unit]") {
  using chipmunk::equalsIgnoringCase;
  CHECK(equalsIgnoringCase("Basic", "bASIC"));
  CHECK(equalsIgnoringCase("", ""));
  CHECK_FALSE(equalsIgnoringCase("for", "fo"));
  // Not a bit trick (c | 0x20): '[' is not '{', a control byte is not a digit.
  CHECK_FALSE(equalsIgnoringCase("[", "{"));
  CHECK_FALSE(equalsIgnoringCase("0", "\x10"));
  CHECK_FALSE(equalsIgnoringCase("@", "`"));
  CHECK_FALSE(equalsIgnoringCase("\xc3\x89", "\xc3\xa9"));  // É and é: ASCII only
}

TEST_CASE("Unit: closestMatch names the setting a typo most likely meant, or nothing", "[unit]") {
  using chipmunk::closestMatch;
  const std::vector<std::string> keys = {"listen", "threads", "trusted_proxies", "client_ip_header",
                                         "tls_cert"};
  CHECK(closestMatch("listen_adress", keys).empty());  // 7 edits from "listen": not a typo
  CHECK(closestMatch("lisen", keys) == "listen");
  CHECK(closestMatch("LISTNE", keys) == "listen");  // a swap of neighbours, case aside
  CHECK(closestMatch("trusted_proxy", keys) == "trusted_proxies");
  CHECK(closestMatch("thread", keys) == "threads");
  CHECK(closestMatch("client-ip-header", keys) == "client_ip_header");
  CHECK(closestMatch("tls", keys).empty());    // 5 short of tls_cert
  CHECK(closestMatch("bogus", keys).empty());  // near nothing
  CHECK(closestMatch("", keys).empty());
  CHECK(closestMatch(std::string(65, 'x'), {std::string(65, 'x')}).empty());  // bounded
  CHECK(closestMatch("Usres", {"Server", "Users", "Paths"}) == "Users");
}

TEST_CASE("Unit: matchesOption takes NAME, SHORT and NAME=VALUE, nothing else", "[unit]") {
  using chipmunk::matchesOption;
  std::optional<std::string> value;
  CHECK(matchesOption("--config", "--config", "-c", true, value));
  CHECK_FALSE(value);  // the caller takes the next argument
  CHECK(matchesOption("-c", "--config", "-c", true, value));
  CHECK_FALSE(value);
  CHECK(matchesOption("--config=a=b.ini", "--config", "-c", true, value));
  CHECK(value == "a=b.ini");  // split at the first '='
  value.reset();
  CHECK(matchesOption("--config=", "--config", "-c", true, value));
  CHECK(value == "");  // an empty value is the caller's to refuse
  value.reset();
  CHECK_FALSE(matchesOption("-c=a.ini", "--config", "-c", true, value));  // short: no '='
  CHECK_FALSE(matchesOption("--configs", "--config", "-c", true, value));
  CHECK_FALSE(matchesOption("--conf", "--config", "-c", true, value));
  CHECK_FALSE(matchesOption("--check-config=yes", "--check-config", "", false, value));  // a flag
  CHECK_FALSE(matchesOption("", "--version", "", false, value));  // "" is no short name
  CHECK(matchesOption("--version", "--version", "", false, value));
  CHECK_FALSE(value);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
