// SPDX-License-Identifier: MIT
#include "api/server_parser.hpp"

namespace chipmunk::api {

ConnectionState::ConnectionState(size_t maxSize, std::optional<IpAddress> address)
    : reader(maxSize), peer(address) {}

ConnectionState::Timer ConnectionState::timer() const {
  if (awaiting.busy()) {
    return Timer::kNone;
  }
  return reader.inBody() ? Timer::kBody : Timer::kHeader;
}

}  // namespace chipmunk::api
