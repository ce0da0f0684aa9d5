// SPDX-License-Identifier: MIT
#include "tests/support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "common/base64.hpp"

namespace chipmunk::test {

HttpConnection::HttpConnection(const std::string& host, int port, std::chrono::milliseconds timeout,
                               const std::string& source)
    : timeout_(timeout) {
  const bool v6 = host.find(':') != std::string::npos;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throw std::runtime_error("socket failed");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = 0;
  if (!source.empty() && v6) {
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, source.c_str(), &local.sin6_addr);
    rc = ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
  } else if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    rc = ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
  }
  if (rc != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("bind to " + source + " failed: " + why);
  }
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed: " + why);
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void HttpConnection::sendRaw(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

bool HttpConnection::fill() {
  if (eof_) {
    return false;
  }
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready <= 0) {
    throw std::runtime_error("timed out waiting for the server");
  }
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

HttpResponse HttpConnection::readResponse(bool head) {
  size_t end = std::string::npos;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      throw std::runtime_error("connection closed before a complete response head: [" + buffer_ +
                               "]");
    }
  }
  HttpResponse r;
  const std::string headText = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t lineEnd = headText.find("\r\n");
  r.statusLine = headText.substr(0, lineEnd);
  if (r.statusLine.size() < 12 || r.statusLine.compare(0, 5, "HTTP/") != 0) {
    throw std::runtime_error("bad status line: " + r.statusLine);
  }
  r.status = std::stoi(r.statusLine.substr(9, 3));
  while (lineEnd != std::string::npos) {
    const size_t start = lineEnd + 2;
    lineEnd = headText.find("\r\n", start);
    const std::string line =
        headText.substr(start, lineEnd == std::string::npos ? std::string::npos : lineEnd - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = line.substr(0, colon);
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.erase(0, 1);
    }
    r.headers.emplace(name, value);
  }
  // 304 (and 204, 1xx) never have a body, whatever the headers say.
  const bool bodiless = r.status == 304 || r.status == 204 || (r.status >= 100 && r.status < 200);
  if (!head && !bodiless) {
    const auto cl = r.headers.find("content-length");
    if (cl != r.headers.end()) {
      const size_t len = std::stoul(cl->second);
      while (buffer_.size() < len) {
        if (!fill()) {
          throw std::runtime_error("connection closed inside the body");
        }
      }
      r.body = buffer_.substr(0, len);
      buffer_.erase(0, len);
    } else {
      while (fill()) {
      }
      r.body = buffer_;
      buffer_.clear();
    }
  }
  return r;
}

bool HttpConnection::waitForClose(std::chrono::milliseconds wait) {
  const auto saved = timeout_;
  timeout_ = wait;
  bool closed = false;
  try {
    while (fill()) {
    }
    closed = true;
  } catch (const std::runtime_error&) {
    closed = false;
  }
  timeout_ = saved;
  return closed;
}

std::string basicAuth(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + base64Encode(user + ":" + password) + "\r\n";
}

HttpResponse httpRequest(int port, const std::string& method, const std::string& path,
                         const std::string& extra, const std::string& body,
                         const std::string& host) {
  HttpConnection conn(host, port);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: test\r\n";
  if (extra.find("Connection:") == std::string::npos) {
    req += "Connection: close\r\n";
  }
  req += extra;
  if (!body.empty() || method == "POST") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  conn.sendRaw(req);
  HttpResponse r = conn.readResponse(method == "HEAD");
  r.closedByServer = conn.waitForClose(std::chrono::milliseconds(2000));
  return r;
}

}  // namespace chipmunk::test
