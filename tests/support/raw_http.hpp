// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace chipmunk::test {

struct HttpResponse {
  int status = 0;
  std::string statusLine;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool closedByServer = false;  // the server closed the connection after this response

  std::string header(const std::string& lowerName) const {
    const auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
  bool hasHeader(const std::string& lowerName) const { return headers.count(lowerName) > 0; }
};

// A raw HTTP/1.x client over a real TCP socket, so tests control every byte sent.
class HttpConnection {
 public:
  // `source`: a local address to connect from (e.g. "127.0.0.2", to be another client of a
  // loopback server); empty: the kernel picks.
  HttpConnection(const std::string& host, int port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10),
                 const std::string& source = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void sendRaw(const std::string& bytes);
  // Reads one response. `head` = the request was HEAD (no body follows).
  // Throws std::runtime_error on timeout or a malformed response.
  HttpResponse readResponse(bool head = false);
  // True when the peer has closed (reads EOF) within `wait`.
  bool waitForClose(std::chrono::milliseconds wait);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  bool eof_ = false;
  bool fill();
};

std::string basicAuth(const std::string& user, const std::string& password);

// One request on a fresh connection: METHOD path, optional extra header lines (each
// ending in \r\n). Sends HTTP/1.1 with Host and Connection: close unless `extra` has one.
HttpResponse httpRequest(int port, const std::string& method, const std::string& path,
                         const std::string& extra = {}, const std::string& body = {},
                         const std::string& host = "127.0.0.1");

}  // namespace chipmunk::test
