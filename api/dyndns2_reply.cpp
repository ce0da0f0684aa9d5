// SPDX-License-Identifier: MIT
#include "api/dyndns2_reply.hpp"

#include <algorithm>
#include <string_view>

#include "providers/dyndns2_codes.hpp"

namespace chipmunk::api {
namespace {

bool isCode(std::string_view word) {
  return std::find(std::begin(dyndns2::kAllCodes), std::end(dyndns2::kAllCodes), word) !=
         std::end(dyndns2::kAllCodes);
}

}  // namespace

bool isDyndnsPath(const std::string& path) {
  return path == "/nic/update" || path == "/v3/update";
}

std::string dyndnsCodes(const std::string& body) {
  constexpr size_t kMaxCodes = 20;
  std::string codes;
  size_t count = 0;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) {
      end = body.size();
    }
    const size_t space = body.find(' ', start);
    const std::string word = body.substr(start, std::min(end, space) - start);
    start = end + 1;
    if (word.empty()) {
      continue;
    }
    if (!isCode(word)) {
      return std::string();
    }
    if (++count <= kMaxCodes) {
      codes += (codes.empty() ? "" : ",") + word;
    } else if (count == kMaxCodes + 1) {
      codes += ",...";
    }
  }
  return codes;
}

Response dyndnsServerError(Response r) {
  if (r.body.rfind(dyndns2::k911, 0) != 0) {
    r.body = dyndns2::line(dyndns2::k911);
    r.contentType = "text/plain; charset=utf-8";
  }
  return r;
}

}  // namespace chipmunk::api
