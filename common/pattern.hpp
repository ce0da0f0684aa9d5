// SPDX-License-Identifier: MIT
#pragma once

// Regular expressions from the configuration (`regex =` of the updater's web and command
// sources), applied to text we do not control (a discovery reply, a command's output).
// std::regex recurses once per character matched, so a 30,000-character reply overflowed the
// stack (issue #11). PCRE2 keeps its backtracking state on the heap, and every match here runs
// with a match limit and a heap limit: a pathological pattern ((a+)+$) ends with an error, not
// a hang or a crash. No JIT (its stack is separate and fixed).
// Syntax: Perl-compatible (PCRE2), a superset of what the documentation shows.

#include <optional>
#include <string>

namespace chipmunk {

// Limits of one match (pcre2_set_match_limit, pcre2_set_heap_limit).
inline constexpr unsigned kPatternMatchLimit = 1000000;
inline constexpr unsigned kPatternHeapLimitKiB = 16384;

// Whether `pattern` compiles; if not, why (with the offset in the pattern).
bool checkPattern(const std::string& pattern, std::string& error);

// The first capture group of the first match of `pattern` in `text` (the whole match when the
// pattern has no group; empty when the group did not take part). nullopt when nothing
// matches, and also, with the reason in `error`, when the pattern does not compile or the
// match exceeds its limits.
std::optional<std::string> firstMatch(const std::string& text, const std::string& pattern,
                                      std::string& error);

}  // namespace chipmunk
