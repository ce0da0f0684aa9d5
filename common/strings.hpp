// SPDX-License-Identifier: MIT
#pragma once

// Small ASCII string helpers every part shares (header names, setting keys, provider
// names): protocol words are ASCII, so no locale takes part.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chipmunk {

// `text` with A-Z turned into a-z; other bytes unchanged.
std::string lowercase(std::string text);

// True when `a` and `b` are the same but for the case of A-Z.
bool equalsIgnoringCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view trimAscii(std::string_view text);

// Of `candidates`, the one `word` most likely misspells (case aside): the fewest single-byte
// insertions, deletions, substitutions or swaps of neighbours, at most 1 for words of up to
// 4 bytes, 2 up to 8, 3 beyond; the first of equals; empty when none is that close. Words
// longer than 64 bytes match nothing (the cost is the product of the lengths).
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);
// The same, as the index of the match in `candidates`; nullopt when none is that close.
std::optional<size_t> closestIndex(std::string_view word,
                                   const std::vector<std::string>& candidates);
// " (did you mean MATCH?)" for closestMatch's match, empty when there is none: what an error
// message about an unknown word ends with.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

// Whether the command-line argument `arg` names the option `name` (or `shortName`, when not
// empty). An option that takes a value also matches as "NAME=VALUE", which sets
// `inlineValue` to VALUE; otherwise `inlineValue` is left alone (the caller takes the next
// argument). The one rule both programs' command lines follow.
bool matchesOption(std::string_view arg, std::string_view name, std::string_view shortName,
                   bool takesValue, std::optional<std::string>& inlineValue);

// Lower-case hex of raw bytes, two digits a byte.
std::string hexOf(std::string_view bytes);

}  // namespace chipmunk
