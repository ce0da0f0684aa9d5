// SPDX-License-Identifier: MIT
#include "api/basic_auth.hpp"

#include "common/base64.hpp"
#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

constexpr size_t kMaxTokenLength = 1024;

}  // namespace

std::optional<BasicCredentials> parseBasicAuthorization(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) {
    header.remove_prefix(1);
  }
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) {
    header.remove_suffix(1);
  }
  const auto space = header.find_first_of(" \t");
  if (space == std::string_view::npos || !equalsIgnoringCase(header.substr(0, space), "basic")) {
    return std::nullopt;
  }
  std::string_view token = header.substr(space);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
    token.remove_prefix(1);
  }
  if (token.empty() || token.size() > kMaxTokenLength) {
    return std::nullopt;
  }
  auto decoded = base64Decode(token, false);
  if (!decoded) {
    return std::nullopt;
  }
  const auto colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  BasicCredentials creds;
  creds.user = decoded->substr(0, colon);
  creds.password = decoded->substr(colon + 1);
  for (const char c : creds.user) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return std::nullopt;
    }
  }
  return creds;
}

}  // namespace chipmunk::api
