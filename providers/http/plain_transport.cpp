// SPDX-License-Identifier: MIT
// http:// spoken directly: HTTP/1.1 over a non-blocking socket, one request per connection,
// every wait in short slices so that an interrupt (shutdown, push cancelled) is seen. The
// message format is http1.cpp's; this file holds the connection and its clock.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "providers/http/http1.hpp"
#include "providers/http/transport.hpp"
#include "providers/http/url.hpp"

namespace chipmunk::providers::http {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHead = 64 * 1024;

// Waits for `events` on fd until `deadline`, in short slices so that an interrupt is seen.
// Returns 1 when ready, 0 on timeout, -1 when interrupted or on error.
int waitFd(const HttpOptions& options, int fd, short events, Clock::time_point deadline) {
  for (;;) {
    if (interrupted(options)) {
      return -1;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return 0;
    }
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (n > 0) {
      return 1;
    }
    if (n < 0 && errno != EINTR) {
      return -1;
    }
  }
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// One exchange: each step returns false once the reply holds the error that ends it.
class PlainExchange {
 public:
  PlainExchange(const HttpOptions& options, const HttpRequest& request)
      : options_(options),
        request_(request),
        start_(Clock::now()),
        deadline_(start_ + options.timeout),
        connectDeadline_(std::min(deadline_, start_ + options.connectTimeout)) {}

  HttpResponse run() {
    HttpUrl url;
    if (!parseHttpUrl(request_.url, url, response_.error)) {
      return response_;
    }
    const int fd = connectTo(url);
    if (fd < 0) {
      return response_;
    }
    const Socket socket(fd);
    std::string out;
    std::string error;
    if (!requestMessage(request_, url, out, error)) {
      fail(error);
    } else if (sendAll(fd, out)) {
      receive(fd);
    }
    return response_;
  }

 private:
  enum class Step { kDone, kFailed, kMore };

  bool timeOut() {
    response_.timedOut = true;
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    response_.error = "Operation timed out after " + std::to_string(took) + " milliseconds";
    return false;
  }

  bool fail(const std::string& what) {
    response_.error = interrupted(options_) ? "interrupted (shutting down)" : what;
    return false;
  }

  // The first address of the host that accepts a connection; -1 when none does (or the
  // time is up, or an interrupt came), with the reply's error set.
  int connectTo(const HttpUrl& url) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = options_.resolve == IpResolve::kV4   ? AF_INET
                      : options_.resolve == IpResolve::kV6 ? AF_INET6
                                                           : AF_UNSPEC;
    addrinfo* found = nullptr;
    const int gai = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
    if (gai != 0) {
      fail("Could not resolve host: " + url.host + " (" + ::gai_strerror(gai) + ")");
      return -1;
    }
    std::string connectError = "Failed to connect";
    int fd = -1;
    bool gaveUp = false;
    for (addrinfo* a = found; a != nullptr && fd < 0 && !gaveUp; a = a->ai_next) {
      fd = connectOne(*a, connectError, gaveUp);
    }
    ::freeaddrinfo(found);
    if (fd < 0 && !gaveUp) {
      fail(connectError + " to " + url.hostHeader);
    }
    return fd;
  }

  // A connected socket to `a`, or -1: `error` says why, or `gaveUp` when the exchange ends
  // here (timed out or interrupted; the reply's error is then set).
  int connectOne(const addrinfo& a, std::string& error, bool& gaveUp) {
    const int s =
        ::socket(a.ai_family, a.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a.ai_protocol);
    if (s < 0) {
      return -1;
    }
    if (::connect(s, a.ai_addr, a.ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::string("Failed to connect: ") + std::strerror(errno);
      ::close(s);
      return -1;
    }
    const int ready = waitFd(options_, s, POLLOUT, connectDeadline_);
    int soError = 0;
    socklen_t len = sizeof soError;
    if (ready == 1 && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 && soError == 0) {
      return s;
    }
    ::close(s);
    if (ready == 0) {
      gaveUp = !timeOut();
    } else if (ready < 0) {
      gaveUp = !fail("Failed to connect");
    } else {
      error = std::string("Failed to connect: ") + std::strerror(soError);
    }
    return -1;
  }

  bool sendAll(int fd, const std::string& out) {
    size_t sent = 0;
    while (sent < out.size()) {
      const int ready = waitFd(options_, fd, POLLOUT, deadline_);
      if (ready == 0) {
        return timeOut();
      }
      if (ready < 0) {
        return fail("send failed");
      }
      const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        continue;
      }
      if (n <= 0) {
        return fail(std::string("Send failure: ") + std::strerror(errno));
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads the head, then the body by Content-Length, chunks or until close.
  bool receive(int fd) {
    std::string data;
    size_t headEnd = std::string::npos;
    BodyFraming framing;
    bool eof = false;
    for (;;) {
      if (headEnd != std::string::npos) {
        const Step step = takeBody(data, headEnd, framing, eof);
        if (step != Step::kMore) {
          return step == Step::kDone;
        }
      } else if (eof) {
        return fail(data.empty() ? "Empty reply from server" : "truncated reply head");
      } else if (data.size() > kMaxHead) {
        return fail("reply head too large");
      }
      if (!readMore(fd, data, eof)) {
        return false;
      }
      if (headEnd == std::string::npos) {
        headEnd = data.find("\r\n\r\n");
        if (headEnd != std::string::npos && !takeHead(data, headEnd, framing)) {
          return false;
        }
      }
    }
  }

  // Waits for and appends what the server sent next (nothing on EAGAIN or EINTR).
  bool readMore(int fd, std::string& data, bool& eof) {
    const int ready = waitFd(options_, fd, POLLIN, deadline_);
    if (ready == 0) {
      return timeOut();
    }
    if (ready < 0) {
      return fail("receive failed");
    }
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return true;
    }
    if (n < 0) {
      return fail(std::string("Recv failure: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof = true;
    } else {
      data.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // The status line and header fields ending at `headEnd`; an interim (1xx) reply is
  // dropped from `data` and headEnd reset, since the real one follows.
  bool takeHead(std::string& data, size_t& headEnd, BodyFraming& framing) {
    const std::string head = data.substr(0, headEnd);
    const auto status = parseStatusLine(head);
    if (!status) {
      return fail("not an HTTP/1.x reply");
    }
    response_.status = *status;
    if (response_.status >= 100 && response_.status < 200) {
      data.erase(0, headEnd + 4);
      headEnd = std::string::npos;
      response_.status = 0;
      return true;
    }
    std::string error;
    if (!parseHeaderFields(head, request_.method, options_.maxBodySize, response_, framing,
                           error)) {
      return fail(error);
    }
    return true;
  }

  Step takeBody(const std::string& data, size_t headEnd, const BodyFraming& framing, bool eof) {
    const size_t bodyStart = headEnd + 4;
    const size_t have = data.size() - bodyStart;
    if (framing.kind == Framing::kNone ||
        (framing.kind == Framing::kLength && have >= framing.contentLength)) {
      response_.body =
          data.substr(bodyStart, framing.kind == Framing::kNone ? 0 : framing.contentLength);
      return Step::kDone;
    }
    if (framing.kind == Framing::kChunked) {
      bool complete = false;
      if (!decodeChunked(data.substr(bodyStart), response_.body, complete)) {
        fail("malformed chunked body");
        return Step::kFailed;
      }
      if (complete) {
        return Step::kDone;
      }
    }
    if (have > options_.maxBodySize) {
      response_.body.clear();
      fail("reply larger than " + std::to_string(options_.maxBodySize) + " bytes");
      return Step::kFailed;
    }
    if (!eof) {
      return Step::kMore;
    }
    if (framing.kind == Framing::kClose) {
      response_.body = data.substr(bodyStart);
      return Step::kDone;
    }
    fail("connection closed before the end of the reply");
    return Step::kFailed;
  }

  const HttpOptions& options_;
  const HttpRequest& request_;
  HttpResponse response_;
  const Clock::time_point start_;
  const Clock::time_point deadline_;
  const Clock::time_point connectDeadline_;
};

}  // namespace

HttpResponse performPlain(const HttpOptions& options, const HttpRequest& request) {
  return PlainExchange(options, request).run();
}

}  // namespace chipmunk::providers::http
