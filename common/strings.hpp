// SPDX-License-Identifier: MIT
#pragma once

// Small ASCII string helpers every part shares (header names, setting keys, provider
// names): protocol words are ASCII, so no locale takes part.

#include <string>
#include <string_view>

namespace chipmunk {

// `text` with A-Z turned into a-z; other bytes unchanged.
std::string lowercase(std::string text);

// True when `a` and `b` are the same but for the case of A-Z.
bool equalsIgnoringCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view trimAscii(std::string_view text);

// Lower-case hex of raw bytes, two digits a byte.
std::string hexOf(std::string_view bytes);

}  // namespace chipmunk
