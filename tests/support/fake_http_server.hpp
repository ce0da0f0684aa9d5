// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace chipmunk::test {

struct FakeRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // without the '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lowerName) const {
    const auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string param(const std::string& name) const;  // a query parameter, or ""
};

struct FakeResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Wait this long before answering (a hanging server); cut short when the server stops.
  std::chrono::milliseconds delay{0};
  // When set, sent verbatim instead of a response built from the fields above (then the
  // connection is closed): for chunked, close-delimited or broken replies.
  std::string raw;
};

// A small HTTP/1.1 server on 127.0.0.1, port 0, one request per connection, every request
// recorded. Plain sockets, so tests control every header (Retry-After) and can make it hang.
class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The requests handled so far (recorded once the handler has run, before a delayed answer).
  // Waits (up to 10 s) for handlers still running, so a change a fake's state already shows
  // is never missing here.
  std::vector<FakeRequest> requests() const;
  void stop();

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable stopCv_;
  mutable std::condition_variable handledCv_;
  int handling_ = 0;  // handlers running now
  std::vector<FakeRequest> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptThread_;
};

}  // namespace chipmunk::test
