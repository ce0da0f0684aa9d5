// SPDX-License-Identifier: MIT
// Native TLS handshakes on chipmunk-api's I/O threads (api/server_handshake.cpp): a client
// that stalls its handshake holds up no one and is dropped after header_timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tests/support/api_instance.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

using namespace chipmunk::test;

namespace {

// GET /get/ip over TLS on a fresh connection (the certificate is not verified: the test
// is about the server's handshakes); the whole answer, or "" when none came.
std::string getIpOverTls(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
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

}  // namespace

TEST_CASE("TLS handshakes: one that stalls holds up no one and is dropped after header_timeout",
          "[api][integration]") {
  TempDir dir;
  const std::string cert = dir.file("cert.pem");
  const std::string key = dir.file("key.pem");
  REQUIRE(runCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                      "-days", "1", "-subj", "/CN=127.0.0.1"},
                     dir.file("o"), dir.file("e")) == 0);
  ApiInstance api("[Server]\nthreads = 1\ntls_certificate = " + cert + "\ntls_key = " + key +
                  "\n\n[Limits]\nheader_timeout = 3s\n\n[Users]\nalice = secret\n");
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
