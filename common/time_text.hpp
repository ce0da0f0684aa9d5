// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace chipmunk {

// Unix seconds as an RFC 3339 UTC time: 2023-11-14T22:13:20Z.
std::string rfc3339(long long unixSeconds);

}  // namespace chipmunk
