// SPDX-License-Identifier: MIT
#include "tests/support/fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include "common/strings.hpp"

namespace chipmunk::test {
namespace {

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Reads the head and the body (Content-Length), 5 s at most, into `data`; the head ends at
// `headEnd` and the body is `need` bytes. False when the request did not arrive whole.
bool readRequest(int fd, const std::atomic<bool>& stopping, std::string& data, size_t& headEnd,
                 size_t& need) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  headEnd = std::string::npos;
  need = 0;
  while (std::chrono::steady_clock::now() < deadline && !stopping) {
    if (headEnd != std::string::npos && data.size() >= headEnd + 4 + need) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return false;
    }
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > 1024 * 1024) {
      return false;
    }
    if (headEnd == std::string::npos) {
      headEnd = data.find("\r\n\r\n");
      if (headEnd != std::string::npos) {
        const std::string head = lower(data.substr(0, headEnd));
        const auto cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
          need = std::stoul(head.substr(cl + 17, head.find("\r\n", cl + 2) - cl - 17));
        }
      }
    }
  }
  return headEnd != std::string::npos && data.size() >= headEnd + 4 + need;
}

// The request line, headers (names in lower case) and body of a request read whole.
FakeRequest parseRequest(const std::string& data, size_t headEnd, size_t need) {
  FakeRequest req;
  const std::string head = data.substr(0, headEnd);
  const auto firstEol = head.find("\r\n");
  const std::string requestLine = head.substr(0, firstEol);
  const auto sp1 = requestLine.find(' ');
  const auto sp2 = requestLine.find(' ', sp1 + 1);
  req.method = requestLine.substr(0, sp1);
  const std::string target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  req.query = q == std::string::npos ? "" : target.substr(q + 1);
  size_t pos = firstEol == std::string::npos ? head.size() : firstEol + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string::npos) {
      eol = head.size();
    }
    const std::string line = head.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      req.headers[lower(std::string(trimAscii(line.substr(0, colon))))] =
          std::string(trimAscii(line.substr(colon + 1)));
    }
    pos = eol + 2;
  }
  req.body = data.substr(headEnd + 4, need);
  return req;
}

std::string renderResponse(const FakeResponse& resp) {
  if (!resp.raw.empty()) {
    return resp.raw;
  }
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reasonPhrase(resp.status) +
                    "\r\nContent-Type: " + resp.contentType +
                    "\r\nContent-Length: " + std::to_string(resp.body.size()) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : resp.headers) {
    out += name + ": " + value + "\r\n";
  }
  return out + "\r\n" + resp.body;
}

void sendAll(int fd, const std::string& out) {
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

std::string FakeRequest::param(const std::string& name) const {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) {
      amp = query.size();
    }
    const std::string item = query.substr(pos, amp - pos);
    const auto eq = item.find('=');
    if (item.substr(0, eq) == name) {
      return eq == std::string::npos ? std::string() : item.substr(eq + 1);
    }
    pos = amp + 1;
  }
  return {};
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) {
    throw std::runtime_error("socket failed");
  }
  const int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    ::close(listenFd_);
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop();
}

void FakeHttpServer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_.exchange(true)) {
      return;
    }
    stopCv_.notify_all();
  }
  if (acceptThread_.joinable()) {
    acceptThread_.join();
  }
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) {
    t.join();
  }
  ::close(listenFd_);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::unique_lock<std::mutex> lock(mutex_);
  handledCv_.wait_for(lock, std::chrono::seconds(10), [this] { return handling_ == 0; });
  return requests_;
}

void FakeHttpServer::acceptLoop() {
  while (!stopping_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

void FakeHttpServer::serve(int fd) {
  std::string data;
  size_t headEnd = 0;
  size_t need = 0;
  if (!readRequest(fd, stopping_, data, headEnd, need)) {
    return;
  }
  FakeRequest req = parseRequest(data, headEnd, need);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++handling_;
  }
  FakeResponse resp = handler_(req);
  {
    // Counted once handled, before any delay of its answer. A reader that saw the fake's
    // state change meanwhile waits in requests() for this line (handling_).
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(std::move(req));
    --handling_;
  }
  handledCv_.notify_all();
  if (resp.delay.count() > 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    stopCv_.wait_for(lock, resp.delay, [this] { return stopping_.load(); });
    if (stopping_) {
      return;
    }
  }
  sendAll(fd, renderResponse(resp));
}

}  // namespace chipmunk::test
