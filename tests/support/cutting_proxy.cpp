// SPDX-License-Identifier: MIT
#include "tests/support/cutting_proxy.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace chipmunk::test {
namespace {

int unixSocket(const std::string& path, bool listen) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  const auto* a = reinterpret_cast<const sockaddr*>(&addr);
  const bool ok = listen ? ::bind(fd, a, sizeof(addr)) == 0 && ::listen(fd, 16) == 0
                         : ::connect(fd, a, sizeof(addr)) == 0;
  if (!ok) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

CuttingProxy::CuttingProxy(std::string target, const std::string& name)
    : target_(std::move(target)) {
  listener_ = unixSocket(dir_.file(name), true);
  if (listener_ >= 0) {
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
}

CuttingProxy::~CuttingProxy() {
  stop_ = true;
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  for (auto& t : threads_) {
    t.join();
  }
  if (listener_ >= 0) {
    ::close(listener_);
  }
}

void CuttingProxy::cutAfter(const std::string& marker, int graceMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  marker_ = marker;
  graceMs_ = graceMs;
}

void CuttingProxy::acceptLoop() {
  while (!stop_) {
    pollfd p = {listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    if (open_ >= kMaxConnections) {
      ::close(client);
      continue;
    }
    ++open_;
    threads_.emplace_back([this, client] {
      relay(client);
      --open_;
    });
  }
}

void CuttingProxy::relay(int client) {
  const int server = unixSocket(target_, false);
  if (server < 0) {
    ::close(client);
    return;
  }
  char buf[16384];
  bool open = true;
  while (open && !stop_) {
    pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) {
      continue;
    }
    if (p[0].revents != 0) {
      const ssize_t n = ::recv(client, buf, sizeof(buf), 0);
      open = n > 0 && sendAll(server, buf, static_cast<size_t>(n));
      int grace = -1;
      if (open) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!marker_.empty() &&
            std::string(buf, static_cast<size_t>(n)).find(marker_) != std::string::npos) {
          marker_.clear();  // once
          grace = graceMs_;
        }
      }
      if (grace >= 0) {  // the statement went through; its answer never will
        std::this_thread::sleep_for(std::chrono::milliseconds(grace));
        ++cuts_;
        break;
      }
    }
    if (open && p[1].revents != 0) {
      const ssize_t n = ::recv(server, buf, sizeof(buf), 0);
      open = n > 0 && sendAll(client, buf, static_cast<size_t>(n));
    }
  }
  ::close(server);
  ::close(client);
}

}  // namespace chipmunk::test
