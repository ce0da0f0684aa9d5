// SPDX-License-Identifier: MIT
#include "common/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace chipmunk::sd {
namespace {

constexpr size_t kMaxStatusBytes = 512;

// The digits of an unsigned decimal environment value; false when absent or not a number.
bool envNumber(const char* name, unsigned long long& out) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0' || std::strlen(text) > 19) {
    return false;
  }
  unsigned long long n = 0;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') {
      return false;
    }
    n = n * 10 + static_cast<unsigned long long>(*p - '0');
  }
  out = n;
  return true;
}

}  // namespace

bool notify(const std::string& state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || (name[0] != '/' && name[0] != '@')) {
    return false;  // unset, or an address family we do not speak (vsock:)
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t length = std::strlen(name);
  if (length < 2 || length >= sizeof(address.sun_path)) {
    return false;
  }
  std::memcpy(address.sun_path, name, length);
  if (address.sun_path[0] == '@') {
    address.sun_path[0] = '\0';  // an abstract name: no trailing NUL counted
  }
  const auto size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + (name[0] == '@' ? 0 : 1));
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), size);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

bool reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool status(const std::string& text) {
  std::string line = text.substr(0, kMaxStatusBytes);
  for (char& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return notify("STATUS=" + line);
}

std::chrono::microseconds watchdogInterval() {
  unsigned long long usec = 0;
  if (!envNumber("WATCHDOG_USEC", usec) || usec == 0) {
    return std::chrono::microseconds::zero();
  }
  unsigned long long pid = 0;
  if (envNumber("WATCHDOG_PID", pid) && pid != static_cast<unsigned long long>(::getpid())) {
    return std::chrono::microseconds::zero();  // meant for another process
  }
  return std::chrono::microseconds(static_cast<long long>(usec / 2));
}

std::chrono::milliseconds Watchdog::ping() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (!enabled()) {
    return std::chrono::hours(24);
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_ == std::chrono::steady_clock::time_point{} || now - last_ >= interval_) {
    notify("WATCHDOG=1");
    last_ = now;
  }
  const auto left = duration_cast<milliseconds>(interval_ - (now - last_));
  return std::max(left, milliseconds(1));
}

}  // namespace chipmunk::sd
