// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chipmunk {

// Text that people type and other people read (a record's note, names in JSON answers)
// is UTF-8 as RFC 3629 defines it: no overlong forms, no UTF-16 surrogates, nothing above
// U+10FFFF.

// True for characters no stored or shown text may hold: C0 and C1 controls and DEL, the
// bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069), which make text display in another order than it is stored ("Trojan
// Source"), and the line and paragraph separators U+2028 and U+2029.
bool isUnsafeTextCharacter(uint32_t codePoint);

// The number of characters of `text` when it is well-formed UTF-8 without unsafe
// characters; nullopt otherwise.
std::optional<size_t> safeTextLength(std::string_view text);

// `text` with each byte of a malformed sequence and each unsafe character replaced by
// U+FFFD: safe to write into JSON or HTML whatever bytes it came with.
std::string sanitizeText(std::string_view text);

// `text` for a log line: well-formed safe text is kept as it is; an ASCII control is
// written as \n, \r, \t or \xHH, each byte of a malformed sequence as \xHH and another
// unsafe character as \u{XXXX}, so that no value can start a line of its own or make one
// read differently from what it holds. At most `maxBytes` bytes of output (escapes are
// never cut), then "...(N more bytes)" says how much of `text` was left out.
std::string escapeText(std::string_view text, size_t maxBytes);

}  // namespace chipmunk
