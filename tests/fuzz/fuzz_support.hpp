// SPDX-License-Identifier: MIT
#pragma once

// Shared by the libFuzzer targets: quiet logging, a config file in memory, and a loopback
// HTTP responder that answers a provider's requests with bytes from the fuzzer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/json.hpp"
#include "common/logging.hpp"

namespace chipmunk::fuzz {

// The bounded JSON parser (common/json.hpp) on `text`, and on `text` under 100,000 levels of
// nesting, deeper than -max_len lets an input reach: whatever is accepted is within the depth
// limit, and the deep one is refused, never a crash (issue #11: 1 MB of "[" killed the API).
inline void checkBoundedJson(const std::string& text) {
  rapidjson::Document doc;
  std::string error;
  if (json::parse(doc, text, error) &&
      json::nestingDepth(text, json::kMaxDepth) > json::kMaxDepth) {
    std::abort();
  }
  if (json::parse(doc, std::string(100000, '[') + text, error)) {
    std::abort();
  }
}

// Logs to standard error only above "critical": the targets exercise error paths that log.
inline void quietLogging() {
  static std::once_flag once;
  std::call_once(once, [] { logging::init("", "off"); });
}

// A file that lives in memory only (memfd), for loaders that take a path.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("chipmunk-fuzz", 0)) {
    if (fd_ < 0) {
      std::abort();
    }
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // Replaces the content; returns a path that opens it.
  std::string write(const uint8_t* data, size_t size) {
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) {
      std::abort();
    }
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

// Serves the responses of one fuzz input on 127.0.0.1, one per connection, in order; after
// the last one, connections are closed without a reply. Reads each request up to the end
// of its headers (and its Content-Length body) before answering, like a real server.
class LoopbackResponder {
 public:
  LoopbackResponder() {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listenFd_ < 0 || ::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listenFd_, 16) != 0 ||
        ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~LoopbackResponder() {
    stop_ = true;
    ::shutdown(listenFd_, SHUT_RDWR);
    thread_.join();
    ::close(listenFd_);
  }
  LoopbackResponder(const LoopbackResponder&) = delete;
  LoopbackResponder& operator=(const LoopbackResponder&) = delete;

  uint16_t port() const { return port_; }

  void setResponses(std::vector<std::string> responses) {
    std::lock_guard<std::mutex> lock(mutex_);
    responses_ = std::move(responses);
    next_ = 0;
  }

 private:
  void run() {
    while (!stop_) {
      const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      readRequest(fd);
      std::string reply;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (next_ < responses_.size()) {
          reply = responses_[next_++];
        }
      }
      size_t off = 0;
      while (off < reply.size()) {
        const ssize_t n = ::send(fd, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
          break;
        }
        off += static_cast<size_t>(n);
      }
      ::close(fd);
    }
  }

  static void readRequest(int fd) {
    std::string in;
    char buf[4096];
    size_t need = std::string::npos;
    while (true) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        return;
      }
      in.append(buf, static_cast<size_t>(n));
      const auto end = in.find("\r\n\r\n");
      if (end == std::string::npos) {
        continue;
      }
      if (need == std::string::npos) {
        need = end + 4;
        const auto cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) {
          need += std::strtoul(in.c_str() + cl + 16, nullptr, 10);
        }
      }
      if (in.size() >= need) {
        return;
      }
    }
  }

  int listenFd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> responses_;
  size_t next_ = 0;
};

// Splits a fuzz input into responses at each "\n#####\n" (so seeds stay readable).
inline std::vector<std::string> splitResponses(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const std::string kSep = "\n#####\n";
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() < 16) {
    const auto at = text.find(kSep, start);
    if (at == std::string::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, at - start));
    start = at + kSep.size();
  }
  return out;
}

// Each reply's body (after the head), as a provider parses it, through the bounds every JSON
// read in the product has.
inline void checkReplyBodies(const std::vector<std::string>& responses) {
  for (const auto& r : responses) {
    const auto body = r.find("\r\n\r\n");
    checkBoundedJson(body == std::string::npos ? r : r.substr(body + 4));
  }
}

// The start of every provider target: quiet logs, the fuzzer's input split into replies,
// their bodies checked, and one loopback server (kept across runs) that serves them, one a
// connection.
inline LoopbackResponder& serveReplies(const uint8_t* data, size_t size,
                                       std::vector<std::string>& responses) {
  quietLogging();
  static LoopbackResponder responder;
  responses = splitResponses(data, size);
  checkReplyBodies(responses);
  responder.setResponses(responses);
  return responder;
}

}  // namespace chipmunk::fuzz
