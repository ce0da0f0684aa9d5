// SPDX-License-Identifier: MIT
// Slow and idle clients (slowloris): connections that trickle their headers one byte a
// second must not keep a normal client from being served, and the server closes them, and
// idle connections, when [Limits] header_timeout and keepalive_timeout say so. Liveness
// checks with generous bounds, not speed measurements.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <thread>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using Clock = std::chrono::steady_clock;

constexpr int kSlowClients = 500;

// Makes room for `needed` descriptors (soft limit up to the hard one); false if impossible.
bool ensureFdLimit(rlim_t needed) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return false;
  }
  if (rl.rlim_cur >= needed) {
    return true;
  }
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < needed) {
    return false;
  }
  rl.rlim_cur = needed;
  return ::setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

// A non-blocking socket connected to 127.0.0.1:port; -1 on failure.
int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  return fd;
}

// True when the server has answered or ended the connection (EOF, reset, or data: a slow
// client never completes a request, so any answer is a 408, the server giving up on it).
bool serverEnded(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) {
    return false;
  }
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

// Connections that send a request head one byte at a time and never finish it.
class Slowloris {
 public:
  Slowloris(int port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = connectTo(port);
      if (fd >= 0) {
        fds_.push_back(fd);
        ended_.push_back(false);
      }
    }
  }
  ~Slowloris() {
    for (const int fd : fds_) {
      ::close(fd);
    }
  }
  Slowloris(const Slowloris&) = delete;
  Slowloris& operator=(const Slowloris&) = delete;

  size_t size() const { return fds_.size(); }

  // Sends the next byte on every connection still open.
  void trickle() {
    static const std::string kHead =
        "GET /get/ip HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4000, 'a');
    const char c = kHead[next_ % kHead.size()];
    ++next_;
    for (const int fd : fds_) {
      ::send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }

  size_t endedByServer() {
    size_t n = 0;
    for (size_t i = 0; i < fds_.size(); ++i) {
      ended_[i] = ended_[i] || serverEnded(fds_[i]);
      n += ended_[i] ? 1 : 0;
    }
    return n;
  }

 private:
  std::vector<int> fds_;
  std::vector<bool> ended_;
  size_t next_ = 0;
};

TEST_CASE("Hardening: 500 slowloris connections do not stop a normal client and are closed",
          "[hardening][slow]") {
  // Ours (500 + a few) and the server's (as many again, it inherits the limit).
  if (!ensureFdLimit(2 * kSlowClients + 200)) {
    WARN("skipped: RLIMIT_NOFILE cannot be raised to " << 2 * kSlowClients + 200);
    return;
  }
  ApiInstance api(
      "[Server]\nthreads = 2\n\n[Users]\nalice = alice-pw\n\n"
      "[Limits]\nheader_timeout = 4s\nkeepalive_timeout = 60s\n");
  REQUIRE(api.start());
  Slowloris slow(api.port(), kSlowClients);
  REQUIRE(slow.size() == kSlowClients);

  // While they trickle, a normal client is answered each second, each time promptly.
  const auto start = Clock::now();
  for (int second = 0; second < 3; ++second) {
    slow.trickle();
    const auto t0 = Clock::now();
    const auto r = httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "alice-pw"));
    const auto took = Clock::now() - t0;
    CHECK(r.status == 200);
    CHECK(took < std::chrono::seconds(2));
    std::this_thread::sleep_for(std::chrono::seconds(1) -
                                std::min<Clock::duration>(took, std::chrono::seconds(1)));
  }
  // header_timeout counts from the connection's start, so trickling does not extend it:
  // all of them are closed (408 or EOF) a few seconds after it, while they go on sending.
  REQUIRE(slow.endedByServer() < slow.size());  // not before the timeout
  size_t ended = 0;
  while (Clock::now() - start < std::chrono::seconds(12)) {
    slow.trickle();
    ended = slow.endedByServer();
    if (ended == slow.size()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(ended == slow.size());
  // And the server is still fine.
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "alice-pw")).status == 200);
}

TEST_CASE("Hardening: idle connections are closed after header_timeout and keepalive_timeout",
          "[hardening][slow]") {
  ApiInstance api(
      "[Users]\nalice = alice-pw\n\n[Limits]\nheader_timeout = 2s\nkeepalive_timeout = 2s\n");
  REQUIRE(api.start());

  // Connected, nothing sent: a 408, then the connection ends.
  HttpConnection silent("127.0.0.1", api.port(), std::chrono::seconds(10));
  // Kept alive after one request, then idle.
  HttpConnection idle("127.0.0.1", api.port(), std::chrono::seconds(10));
  idle.sendRaw("GET /get/ip HTTP/1.1\r\nHost: x\r\n" + basicAuth("alice", "alice-pw") + "\r\n");
  const auto first = idle.readResponse();
  REQUIRE(first.status == 200);
  REQUIRE_FALSE(first.closedByServer);
  CHECK_FALSE(idle.waitForClose(std::chrono::milliseconds(500)));  // not at once

  const auto r = silent.readResponse();
  CHECK(r.status == 408);
  CHECK(silent.waitForClose(std::chrono::seconds(5)));
  CHECK(idle.waitForClose(std::chrono::seconds(6)));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
