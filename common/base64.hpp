// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chipmunk {

// Standard alphabet (RFC 4648 section 4) with '=' padding.
std::string base64Encode(std::string_view data);
// Strict decoder: rejects characters outside the alphabet, bad padding and non-zero
// trailing bits. `requirePadding = false` also accepts unpadded input.
std::optional<std::string> base64Decode(std::string_view text, bool requirePadding = true);

}  // namespace chipmunk
