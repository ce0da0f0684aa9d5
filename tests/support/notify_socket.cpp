// SPDX-License-Identifier: MIT
#include "tests/support/notify_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace chipmunk::test {

NotifySocket::NotifySocket(const std::string& abstractName) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    throw std::runtime_error("socket failed");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t size = 0;
  if (abstractName.empty()) {
    address_ = dir_.file("notify");
    std::strncpy(addr.sun_path, address_.c_str(), sizeof(addr.sun_path) - 1);
    size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() + 1);
  } else {
    address_ = "@" + abstractName;
    std::memcpy(addr.sun_path + 1, abstractName.data(), abstractName.size());
    size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstractName.size());
  }
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), size) != 0) {
    ::close(fd_);
    throw std::runtime_error("bind failed: " + std::string(std::strerror(errno)));
  }
}

NotifySocket::~NotifySocket() {
  ::close(fd_);
}

const std::vector<std::string>& NotifySocket::messages() {
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd_, buffer, sizeof buffer, 0)) >= 0) {
    messages_.emplace_back(buffer, static_cast<size_t>(n));
  }
  return messages_;
}

namespace {
bool hasLine(const std::string& message, const std::string& text) {
  return ("\n" + message + "\n").find("\n" + text) != std::string::npos;
}
}  // namespace

std::optional<size_t> NotifySocket::waitFor(const std::string& text,
                                            std::chrono::milliseconds timeout) {
  std::optional<size_t> found;
  waitUntil(
      [&] {
        const auto& all = messages();
        for (size_t i = 0; i < all.size(); ++i) {
          if (hasLine(all[i], text)) {
            found = i;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

size_t NotifySocket::count(const std::string& text) {
  size_t n = 0;
  for (const auto& m : messages()) {
    n += hasLine(m, text) ? 1 : 0;
  }
  return n;
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) {
    old_ = old;
  }
  if (value.empty()) {
    ::unsetenv(name_.c_str());
  } else {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

std::string deviceInode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {};
  }
  return std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(st.st_ino));
}

}  // namespace chipmunk::test
