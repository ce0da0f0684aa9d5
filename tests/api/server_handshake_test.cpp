// SPDX-License-Identifier: MIT
// Native TLS handshakes on chipmunk-api's I/O threads (api/server_handshake.cpp): a client
// that stalls its handshake holds up no one and is dropped after header_timeout; one
// address holds at most 64 of a thread's places, a thread at most 1024.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

// A TCP connection to 127.0.0.1:`port` from `source` (a loopback address: 127.0.0.0/8 is
// all the host's); -1 when it failed.
int connectFrom(int port, const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  return fd;
}

// The start of a ClientHello record from `source`, then nothing: a handshake the server
// holds until header_timeout. The descriptor, or -1.
int stalledFrom(int port, const char* source) {
  const int fd = connectFrom(port, source);
  if (fd >= 0 && ::send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL) != 3) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd` within `wait` (end of stream or reset).
bool closedWithin(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
    return false;
  }
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// GET /get/ip over TLS on a fresh connection from `source` (the certificate is not
// verified: the test is about the server's handshakes); the whole answer, or "" when none
// came.
std::string getIpOverTls(int port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
    ::close(fd);
    return std::string();
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
    const std::string request = "GET /get/ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                basicAuth("alice", "secret") + "\r\n";
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buffer[4096];
    for (int n = 0; (n = SSL_read(ssl, buffer, sizeof buffer)) > 0;) {
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return answer;
}

// A self-signed certificate and its key in a temporary directory (`made`: openssl made
// them), and a configuration of one I/O thread with native TLS and alice's password.
struct TlsFiles {
  TempDir dir;
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  bool made = runCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                          "-days", "1", "-subj", "/CN=127.0.0.1"},
                         dir.file("o"), dir.file("e")) == 0;

  std::string config(const char* headerTimeout) const {
    return "[Server]\nthreads = 1\ntls_certificate = " + cert + "\ntls_key = " + key +
           "\n\n[Limits]\nheader_timeout = " + headerTimeout + "\n\n[Users]\nalice = secret\n";
  }
};

// Whether `source` is served over TLS within 10 s (its places freed once the server read
// the end of its closed handshakes).
bool servedSoon(int port, const std::string& source) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (getIpOverTls(port, source.c_str()).find("Your IP:  " + source) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `count` stalled handshakes from `source`, added to `held`; false when one failed.
bool stallMany(int port, const std::string& source, int count, std::vector<int>& held) {
  for (int i = 0; i < count; ++i) {
    held.push_back(stalledFrom(port, source.c_str()));
    if (held.back() < 0) {
      return false;
    }
  }
  return true;
}

// Whether a handshake from `source` is closed by the server at once: no place for it.
bool refused(int port, const char* source) {
  const int fd = stalledFrom(port, source);
  const bool closed = fd >= 0 && closedWithin(fd, std::chrono::seconds(10));
  if (fd >= 0) {
    ::close(fd);
  }
  return closed;
}

void closeAll(std::vector<int>& fds) {
  for (const int fd : fds) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  fds.clear();
}

TEST_CASE("TLS handshakes: one address holds at most 64 of a thread's places, others are served",
          "[api][integration]") {
  TlsFiles tls;
  REQUIRE(tls.made);
  ApiInstance api(tls.config("60s"));
  REQUIRE(api.start());

  std::vector<int> held;
  REQUIRE(stallMany(api.port(), "127.0.0.1", 64, held));
  // The 65th from that address is closed at once; the 64 before it are held.
  CHECK(refused(api.port(), "127.0.0.1"));
  CHECK_FALSE(closedWithin(held.back(), std::chrono::milliseconds(10)));
  // Another address is served meanwhile; that one is not.
  CHECK(getIpOverTls(api.port(), "127.0.0.2").find("Your IP:  127.0.0.2") != std::string::npos);
  CHECK(getIpOverTls(api.port(), "127.0.0.1").empty());

  // Its handshakes gone (the server reads their end), its places are free again.
  closeAll(held);
  CHECK(servedSoon(api.port(), "127.0.0.1"));

  SECTION("and a thread holds at most 1024 handshakes, whatever their addresses") {
    // 16 addresses x 64: the thread's 1024 places. The test and the server need ~1100
    // descriptors each (the server inherits this limit).
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max < 1500) {
      WARN("RLIMIT_NOFILE's hard limit " << limit.rlim_max << " < 1500: the 1024 cap not tried");
      return;
    }
    limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, 1500);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
    ApiInstance full(tls.config("60s"));
    REQUIRE(full.start());
    for (int source = 1; source <= 16; ++source) {
      REQUIRE(stallMany(full.port(), "127.0.1." + std::to_string(source), 64, held));
    }
    CHECK(refused(full.port(), "127.0.2.1"));
    CHECK_FALSE(closedWithin(held.back(), std::chrono::milliseconds(10)));
    CHECK(getIpOverTls(full.port(), "127.0.2.2").empty());
    closeAll(held);
    CHECK(servedSoon(full.port(), "127.0.2.2"));
  }
}

TEST_CASE("TLS handshakes: one that stalls holds up no one and is dropped after header_timeout",
          "[api][integration]") {
  TlsFiles tls;
  REQUIRE(tls.made);
  ApiInstance api(tls.config("3s"));
  REQUIRE(api.start());

  // The start of a ClientHello record, then nothing: on the server's only I/O thread.
  HttpConnection stalled("127.0.0.1", api.port(), std::chrono::seconds(10));
  stalled.sendRaw(std::string("\x16\x03\x01", 3));
  const std::string answer = getIpOverTls(api.port());
  CHECK(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(answer.find("Your IP:  127.0.0.1") != std::string::npos);
  // Served while the stalled handshake still waited (not after it was dropped).
  CHECK_FALSE(stalled.waitForClose(std::chrono::milliseconds(10)));

  // Dropped once header_timeout (3 s) passed, at the next check (every 500 ms).
  CHECK(stalled.waitForClose(std::chrono::seconds(8)));
  // Plain HTTP on the TLS port fails its handshake and is closed.
  HttpConnection plain("127.0.0.1", api.port(), std::chrono::seconds(5));
  plain.sendRaw("GET /get/ip HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(plain.waitForClose(std::chrono::seconds(4)));
  CHECK(getIpOverTls(api.port()).find("Your IP:  127.0.0.1") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
