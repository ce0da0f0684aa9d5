// SPDX-License-Identifier: MIT
#include "common/pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <memory>

namespace chipmunk {
namespace {

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct ContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};
using Code = std::unique_ptr<pcre2_code, CodeDeleter>;

std::string errorText(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) {
    return "error " + std::to_string(code);
  }
  return reinterpret_cast<const char*>(buffer);
}

Code compile(const std::string& pattern, std::string& error) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  Code re(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code,
                        &offset, nullptr));
  if (!re) {
    error = errorText(code) + " at offset " + std::to_string(offset);
  }
  return re;
}

}  // namespace

bool checkPattern(const std::string& pattern, std::string& error) {
  return compile(pattern, error) != nullptr;
}

std::optional<std::string> firstMatch(const std::string& text, const std::string& pattern,
                                      std::string& error) {
  const Code re = compile(pattern, error);
  if (!re) {
    return std::nullopt;
  }
  const std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(re.get(), nullptr));
  const std::unique_ptr<pcre2_match_context, ContextDeleter> context(
      pcre2_match_context_create(nullptr));
  if (!data || !context) {
    error = "out of memory";
    return std::nullopt;
  }
  pcre2_set_match_limit(context.get(), kPatternMatchLimit);
  pcre2_set_heap_limit(context.get(), kPatternHeapLimitKiB);
  const int rc = pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
                             data.get(), context.get());
  if (rc == PCRE2_ERROR_NOMATCH) {
    return std::nullopt;
  }
  if (rc < 0) {
    error = "regex gave up: " + errorText(rc);
    return std::nullopt;
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
  uint32_t groups = 0;
  pcre2_pattern_info(re.get(), PCRE2_INFO_CAPTURECOUNT, &groups);
  const int group = groups > 0 ? 1 : 0;
  if (ovector[2 * group] == PCRE2_UNSET) {
    return std::string();
  }
  return text.substr(ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]);
}

}  // namespace chipmunk
