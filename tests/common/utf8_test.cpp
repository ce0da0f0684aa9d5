// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "common/utf8.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::escapeText;
using chipmunk::isUnsafeTextCharacter;
using chipmunk::safeTextLength;
using chipmunk::sanitizeText;

namespace {
const std::string kFffd = "\xEF\xBF\xBD";
}

TEST_CASE("Unit: safe text is well-formed UTF-8 and counts characters", "[config][unit]") {
  CHECK(safeTextLength("") == size_t{0});
  CHECK(safeTextLength("office") == size_t{6});
  CHECK(safeTextLength("Caf\xC3\xA9 \xE2\x98\x95") == size_t{6});  // Café ☕
  CHECK(safeTextLength("\xF0\x9F\x90\xBF") == size_t{1});          // U+1F43F
  CHECK(safeTextLength("\xF4\x8F\xBF\xBF") == size_t{1});          // U+10FFFF
  CHECK(safeTextLength("\xE2\x80\x8D") == size_t{1});              // ZWJ (emoji)
  for (const std::string bad :
       {"\xFF", "\xFE\xFF", "\x80", "a\xC3", "\xE2\x98", "\xF0\x9F\x90",  // bytes
        "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF",       // overlong
        "\xED\xA0\x80", "\xED\xBF\xBF",                                   // surrogates
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80",   // > U+10FFFF
        "\xC3\x28", "\xE2\x28\xA1"}) {                                    // bad continuation
    INFO(bad);
    CHECK_FALSE(safeTextLength(bad));
  }
}

TEST_CASE("Unit: controls and bidi formatting characters are unsafe", "[config][unit]") {
  for (const uint32_t c :
       {0x00u,   0x09u,   0x0Au,   0x1Bu,   0x1Fu,   0x7Fu,   0x80u,   0x85u,
        0x9Bu,   0x9Fu,   0x061Cu, 0x200Eu, 0x200Fu, 0x202Au, 0x202Bu, 0x202Cu,
        0x202Du, 0x202Eu, 0x2066u, 0x2067u, 0x2068u, 0x2069u, 0x2028u, 0x2029u}) {
    INFO(c);
    CHECK(isUnsafeTextCharacter(c));
  }
  for (const uint32_t c :
       {0x20u, 0x41u, 0x7Eu, 0xA0u, 0xE9u, 0x200Du, 0x2065u, 0x206Au, 0x202Fu, 0x2615u, 0x1F43Fu}) {
    INFO(c);
    CHECK_FALSE(isUnsafeTextCharacter(c));
  }
  CHECK_FALSE(safeTextLength("abc\xE2\x80\xAEgpj.exe"));  // U+202E
  CHECK_FALSE(safeTextLength("\xD8\x9C"));                // U+061C
  CHECK_FALSE(safeTextLength("\xC2\x85"));                // U+0085
  CHECK_FALSE(safeTextLength(std::string("a\0b", 3)));
}

TEST_CASE("Unit: sanitized text keeps good characters and replaces the rest", "[config][unit]") {
  CHECK(sanitizeText("Caf\xC3\xA9 \xE2\x98\x95") == "Caf\xC3\xA9 \xE2\x98\x95");
  CHECK(sanitizeText("a\xFF\xFE"
                     "b") == "a" + kFffd + kFffd + "b");
  CHECK(sanitizeText("\xE2\x80\xAE"
                     "x") == kFffd + "x");
  CHECK(sanitizeText("a\xC3") == "a" + kFffd);
  CHECK(sanitizeText("\xC0\xAF") == kFffd + kFffd);
  CHECK(sanitizeText(std::string("a\0b\n", 4)) == "a" + kFffd + "b" + kFffd);
  // Whatever the input, the output is safe text.
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all += static_cast<char>(b);
    all += "\xE2\x80";  // a truncated sequence after every byte
  }
  CHECK(safeTextLength(sanitizeText(all)));
}

TEST_CASE("Unit: escaped text keeps one log line one line and bounded", "[config][unit]") {
  CHECK(escapeText("plain text, Caf\xC3\xA9", 100) == "plain text, Caf\xC3\xA9");
  CHECK(escapeText("a\nb\rc\td", 100) == "a\\nb\\rc\\td");
  CHECK(escapeText(std::string("\x1B]0;x\x07\0\x7F", 8), 100) == "\\x1b]0;x\\x07\\x00\\x7f");
  CHECK(escapeText("\xFF\xC3", 100) == "\\xff\\xc3");  // malformed bytes
  CHECK(escapeText("a\xE2\x80\xAE"
                   "b\xC2\x85",
                   100) == "a\\u{202E}b\\u{0085}");  // bidi, C1
  // Cut at the limit, never inside an escape, and says how much was left out.
  CHECK(escapeText(std::string(10, 'x'), 4) == "xxxx...(6 more bytes)");
  CHECK(escapeText("ab\ncd", 3) == "ab...(3 more bytes)");
  // Whatever the input: no byte that could end or disguise a line, and bounded.
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all += static_cast<char>(b);
    all += "\xE2\x80";  // a truncated sequence after every byte
  }
  const std::string escaped = escapeText(all + std::string(100000, '\n'), 4096);
  CHECK(escaped.size() <= 4096 + 32);
  CHECK(safeTextLength(escaped));
  CHECK(escaped.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
