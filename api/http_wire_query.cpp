// SPDX-License-Identifier: MIT
// The url-encoded fields of http_wire.hpp: chipmunk-api's one percent-decoder.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_wire.hpp"

namespace chipmunk::api {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool percentDecode(std::string_view in, bool plusIsSpace, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += plusIsSpace && in[i] == '+' ? ' ' : in[i];
      continue;
    }
    if (i + 2 >= in.size() || hexValue(in[i + 1]) < 0 || hexValue(in[i + 2]) < 0) {
      return false;
    }
    out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
    i += 2;
  }
  return true;
}

}  // namespace

bool appendUrlEncoded(std::string_view text, bool plusIsSpace,
                      std::vector<std::pair<std::string, std::string>>& fields) {
  bool ok = true;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view item = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    const size_t eq = item.find('=');
    std::string key;
    std::string value;
    if (!percentDecode(item.substr(0, eq), plusIsSpace, key) ||
        (eq != std::string_view::npos && !percentDecode(item.substr(eq + 1), plusIsSpace, value))) {
      ok = false;
      continue;
    }
    fields.emplace_back(std::move(key), std::move(value));
  }
  return ok;
}

bool parseQuery(std::string_view target, std::vector<std::pair<std::string, std::string>>& fields) {
  fields.clear();
  const size_t question = target.find('?');
  return question == std::string_view::npos ||
         appendUrlEncoded(target.substr(question + 1), false, fields);
}

}  // namespace chipmunk::api
