// SPDX-License-Identifier: MIT
#include "common/strings.hpp"

#include <algorithm>

namespace chipmunk {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return text;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trimAscii(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

namespace {

constexpr size_t kMaxMatchLength = 64;

// Optimal string alignment distance of two lower-cased words (each at most kMaxMatchLength).
size_t editDistance(const std::string& a, const std::string& b) {
  const size_t n = b.size();
  std::vector<size_t> before(n + 1);  // row i - 2
  std::vector<size_t> last(n + 1);    // row i - 1
  std::vector<size_t> row(n + 1);
  for (size_t j = 0; j <= n; ++j) {
    last[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= n; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(last);
    last.swap(row);
  }
  return last[n];
}

}  // namespace

std::optional<size_t> closestIndex(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  if (word.empty() || word.size() > kMaxMatchLength) {
    return std::nullopt;
  }
  const std::string lower = lowercase(std::string(word));
  const size_t allowed = lower.size() <= 4 ? 1 : (lower.size() <= 8 ? 2 : 3);
  std::optional<size_t> best;
  size_t bestDistance = allowed + 1;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].size() > kMaxMatchLength) {
      continue;
    }
    const size_t d = editDistance(lower, lowercase(candidates[i]));
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  const auto i = closestIndex(word, candidates);
  return i ? candidates[*i] : std::string();
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string meant = closestMatch(word, candidates);
  return meant.empty() ? std::string() : " (did you mean " + meant + "?)";
}

bool matchesOption(std::string_view arg, std::string_view name, std::string_view shortName,
                   bool takesValue, std::optional<std::string>& inlineValue) {
  if (arg == name || (!shortName.empty() && arg == shortName)) {
    return true;
  }
  if (takesValue && arg.size() > name.size() && arg.substr(0, name.size()) == name &&
      arg[name.size()] == '=') {
    inlineValue = std::string(arg.substr(name.size() + 1));
    return true;
  }
  return false;
}

std::string hexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace chipmunk
