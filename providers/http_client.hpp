// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <ctime>
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
  // Retry-After as a delay from now (delta-seconds or an HTTP date), if present and valid.
  std::optional<std::chrono::seconds> retryAfter() const;
};

// The User-Agent every request carries: chipmunk-updater/<version>.
std::string userAgent();

// The longest Retry-After we read: longer waits (a date in year 9999, 999999999 s) saturate
// here, so that no caller's clock arithmetic can overflow. It is the largest retry_max the
// configuration accepts; retryDelay() (provider.hpp) then caps it at the configured one.
inline constexpr std::chrono::seconds kMaxRetryAfter{7 * 24 * 3600};

// Parses a Retry-After value (RFC 9110 section 10.2.3): delta-seconds or an HTTP-date,
// relative to `now`. A date in the past is 0 s; anything longer than kMaxRetryAfter is
// kMaxRetryAfter. Nonsense (negative, fractions, garbage) is nullopt.
std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value, std::time_t now);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string urlEncode(const std::string& text);

// "https://user:pass@host/path?q" -> "https://host/path" for logs.
std::string redactUrl(const std::string& url);

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
