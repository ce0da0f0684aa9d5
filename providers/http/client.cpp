// SPDX-License-Identifier: MIT
// Two transports behind one interface:
//  - http:// is spoken here directly (HTTP/1.1, one request per connection): a daemon that
//    mostly talks plain HTTP to a local chipmunk-api should not pay for libcurl, which with
//    its ~35 dependent libraries cost ~6 MB of resident memory and ~3 ms per start on
//    Debian 12 (measured; docs/UPDATER.md, "Benchmark").
//  - https:// goes through libcurl, loaded with dlopen() on first use, so that TLS keeps a
//    maintained, verified implementation (certificate and host name checks, CA file).
#include "providers/http/client.hpp"

#include <ctime>

#include "chipmunk/version.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/transport.hpp"

namespace chipmunk::providers {
namespace {

bool (*gInterruptCheck)() = nullptr;

}  // namespace

namespace http {

bool interrupted(const HttpOptions& options) {
  return (gInterruptCheck != nullptr && gInterruptCheck()) ||
         (options.cancel != nullptr && options.cancel->load());
}

bool interruptible(const HttpOptions& options) {
  return gInterruptCheck != nullptr || options.cancel != nullptr;
}

}  // namespace http

std::string HttpResponse::header(const std::string& lowerName) const {
  const auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::chrono::seconds> HttpResponse::retryAfter() const {
  const auto it = headers.find("retry-after");
  if (it == headers.end()) {
    return std::nullopt;
  }
  return parseRetryAfter(it->second, std::time(nullptr));
}

void setInterruptCheck(bool (*check)()) {
  gInterruptCheck = check;
}

std::string userAgent() {
  return std::string("chipmunk-updater/") + kVersion;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() {
  http::releaseCurl(curl_);
}

HttpResponse HttpClient::perform(const HttpRequest& request) {
  if (request.url.rfind("http://", 0) == 0) {
    return http::performPlain(options_, request);
  }
  if (request.url.rfind("https://", 0) != 0) {
    HttpResponse response;
    response.error = "unsupported URL scheme (http:// and https:// only)";
    return response;
  }
  return http::performCurl(options_, request, curl_);
}

}  // namespace chipmunk::providers
