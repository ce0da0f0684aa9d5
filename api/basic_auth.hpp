// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chipmunk::api {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Decodes an `Authorization: Basic <base64(user:password)>` value (RFC 7617). The scheme
// is case-insensitive; the token must be canonical base64; the user may not be empty or
// contain control characters. Anything else yields nullopt, never an exception.
std::optional<BasicCredentials> parseBasicAuthorization(std::string_view header);

}  // namespace chipmunk::api
