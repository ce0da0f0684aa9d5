// SPDX-License-Identifier: MIT
// Authorization header decoding (api/basic_auth): any bytes yield credentials or nullopt.
#include <cstdlib>
#include <string_view>

#include "api/basic_auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto creds = chipmunk::api::parseBasicAuthorization(header);
  if (creds) {
    // The documented contract: a user is never empty and has no control characters.
    if (creds->user.empty()) {
      std::abort();
    }
    for (const unsigned char c : creds->user) {
      if (c < 0x20 || c == 0x7f) {
        std::abort();
      }
    }
  }
  return 0;
}
