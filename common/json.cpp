// SPDX-License-Identifier: MIT
#include "common/json.hpp"

#include <rapidjson/error/en.h>

namespace chipmunk::json {

size_t nestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0;
  size_t deepest = 0;
  bool inString = false;
  bool escaped = false;
  for (const char c : text) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) {
          return limit + 1;
        }
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool parse(rapidjson::Document& doc, std::string_view text, std::string& error,
           const Limits& limits) {
  doc.SetNull();
  if (text.size() > limits.maxBytes) {
    error = "JSON larger than " + std::to_string(limits.maxBytes) + " bytes";
    return false;
  }
  if (nestingDepth(text, limits.maxDepth) > limits.maxDepth) {
    error = "JSON nested deeper than " + std::to_string(limits.maxDepth) + " levels";
    return false;
  }
  // Iterative: even if the scan above were wrong, the parser keeps its stack on the heap.
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    error = std::string("not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
            " at offset " + std::to_string(doc.GetErrorOffset());
    doc.SetNull();
    return false;
  }
  return true;
}

}  // namespace chipmunk::json
