// SPDX-License-Identifier: MIT
#pragma once

// The HTTP client that providers and IP discovery share: what a request and a reply hold,
// the options of an exchange and HttpClient, which picks the transport by the URL's scheme
// (plain_transport.cpp for http://, curl_transport.cpp for https://).

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chipmunk::providers {

enum class IpResolve { kAny, kV4, kV6 };

struct HttpOptions {
  std::chrono::milliseconds timeout{30000};         // whole exchange
  std::chrono::milliseconds connectTimeout{10000};  // TCP + TLS handshake
  bool verifyTls = true;
  std::string caFile;  // empty: the system store
  IpResolve resolve = IpResolve::kAny;
  size_t maxBodySize = 1024 * 1024;  // larger replies are an error
  // When set and true, transfers in progress are abandoned ("interrupted"), as with
  // setInterruptCheck() but for the clients made with these options only: gateway push
  // stopping for a reload or shutdown must not wait for a hanging provider.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // HTTP Basic credentials; sent by libcurl, never logged.
  std::optional<std::pair<std::string, std::string>> basicAuth;
};

struct HttpResponse {
  int status = 0;                              // 0: no HTTP reply (see error)
  std::map<std::string, std::string> headers;  // names lower-cased; last one wins
  std::string body;
  std::string error;  // transport error (connect, TLS, timeout, too large); empty if none
  bool timedOut = false;

  bool transportOk() const { return error.empty(); }
  std::string header(const std::string& lowerName) const;
  // Retry-After as a delay from now (delta-seconds or an HTTP date; retry_after.hpp), if
  // present and valid.
  std::optional<std::chrono::seconds> retryAfter() const;
};

// The User-Agent every request carries: chipmunk-updater/<version>.
std::string userAgent();

// Process-wide: when set and it returns true, transfers in progress are abandoned (the
// daemon sets it to "SIGTERM is pending", so that a hanging provider cannot delay exit).
// Set it before any transfer starts.
void setInterruptCheck(bool (*check)());

// An HTTP client for providers and discovery. http:// is spoken directly (HTTP/1.1, one
// request per connection); https:// goes through libcurl, loaded on first use, whose easy
// handle this object owns (RAII) and reuses so that TLS connections are kept alive. Not
// thread-safe: one per thread. Never logs headers, bodies or credentials.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse perform(const HttpRequest& request);
  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*
};

}  // namespace chipmunk::providers
