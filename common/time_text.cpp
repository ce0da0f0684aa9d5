// SPDX-License-Identifier: MIT
#include "common/time_text.hpp"

#include <ctime>

namespace chipmunk {

std::string rfc3339(long long unixSeconds) {
  const std::time_t tt = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace chipmunk
