// SPDX-License-Identifier: MIT
// https:// through libcurl, loaded with dlopen() on first use (common/shared_library.hpp), so
// that TLS keeps a maintained, verified implementation (certificate and host name checks,
// CA file) while plain-HTTP users never map libcurl and its ~35 libraries.
#include <curl/curl.h>

#include <algorithm>

#include "common/shared_library.hpp"
#include "common/strings.hpp"
#include "providers/http/transport.hpp"

namespace chipmunk::providers::http {
namespace {

// Every libcurl function this file calls, without its "curl_" prefix:
// clang-format off
#define CHIPMUNK_CURL_FUNCTIONS(X) \
  X(global_init) X(easy_init) X(easy_cleanup) X(easy_reset) X(easy_setopt) X(easy_perform) \
  X(easy_getinfo) X(easy_strerror) X(slist_append) X(slist_free_all)
// clang-format on

struct CurlApi {
  bool loaded = false;
  std::string error;
#define CHIPMUNK_CURL_MEMBER(name) decltype(&::curl_##name) name = nullptr;
  CHIPMUNK_CURL_FUNCTIONS(CHIPMUNK_CURL_MEMBER)
#undef CHIPMUNK_CURL_MEMBER
};

CurlApi loadCurl() {
  CurlApi api;
  SharedLibrary library({"libcurl.so.4"});
#define CHIPMUNK_CURL_BIND(name) library.bind(api.name, "curl_" #name);
  CHIPMUNK_CURL_FUNCTIONS(CHIPMUNK_CURL_BIND)
#undef CHIPMUNK_CURL_BIND
  if (!library.complete()) {
    api.error = "https needs libcurl: " + library.error();
    return api;
  }
  api.global_init(CURL_GLOBAL_DEFAULT);
  api.loaded = true;
  return api;
}
#undef CHIPMUNK_CURL_FUNCTIONS

const CurlApi& curl() {
  static const CurlApi api = loadCurl();  // once, thread-safe
  return api;
}

struct Transfer {
  HttpResponse* response = nullptr;
  size_t maxBody = 0;
  bool tooLarge = false;
  const HttpOptions* options = nullptr;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response->body.size() + n > t->maxBody) {
    t->tooLarge = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a 100 Continue)
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    t->response->headers[lowercase(std::string(trimAscii(line.substr(0, colon))))] =
        std::string(trimAscii(line.substr(colon + 1)));
  }
  return n;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return interrupted(*static_cast<Transfer*>(user)->options) ? 1 : 0;  // non-zero aborts
}

// The options of the exchange: timeouts, TLS, address family, the callbacks into `transfer`.
void setTransferOptions(CURL* handle, const HttpOptions& options, Transfer& transfer,
                        char* errorBuffer, const std::string& agent) {
  const auto set = curl().easy_setopt;
  set(handle, CURLOPT_NOSIGNAL, 1L);
  set(handle, CURLOPT_ERRORBUFFER, errorBuffer);
  set(handle, CURLOPT_PROTOCOLS_STR, "https");
  set(handle, CURLOPT_FOLLOWLOCATION, 0L);
  set(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  set(handle, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::min(options.connectTimeout, options.timeout).count()));
  set(handle, CURLOPT_SSL_VERIFYPEER, options.verifyTls ? 1L : 0L);
  set(handle, CURLOPT_SSL_VERIFYHOST, options.verifyTls ? 2L : 0L);
  if (!options.caFile.empty()) {
    set(handle, CURLOPT_CAINFO, options.caFile.c_str());
  }
  set(handle, CURLOPT_IPRESOLVE,
      options.resolve == IpResolve::kV4   ? CURL_IPRESOLVE_V4
      : options.resolve == IpResolve::kV6 ? CURL_IPRESOLVE_V6
                                          : CURL_IPRESOLVE_WHATEVER);
  set(handle, CURLOPT_USERAGENT, agent.c_str());
  if (interruptible(options)) {
    set(handle, CURLOPT_XFERINFOFUNCTION, &onProgress);
    set(handle, CURLOPT_XFERINFODATA, &transfer);
    set(handle, CURLOPT_NOPROGRESS, 0L);
  }
  set(handle, CURLOPT_WRITEFUNCTION, &onBody);
  set(handle, CURLOPT_WRITEDATA, &transfer);
  set(handle, CURLOPT_HEADERFUNCTION, &onHeader);
  set(handle, CURLOPT_HEADERDATA, &transfer);
}

// The request itself: URL, credentials, method, body and headers. The header list returned
// must be freed after the transfer.
curl_slist* setRequest(CURL* handle, const HttpRequest& request) {
  const auto set = curl().easy_setopt;
  set(handle, CURLOPT_URL, request.url.c_str());
  if (request.basicAuth) {
    set(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(handle, CURLOPT_USERNAME, request.basicAuth->first.c_str());
    set(handle, CURLOPT_PASSWORD, request.basicAuth->second.c_str());
  }
  if (request.method == "GET") {
    set(handle, CURLOPT_HTTPGET, 1L);
  } else {
    set(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      set(handle, CURLOPT_POSTFIELDS, request.body.c_str());
      set(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl().slist_append(headers, (name + ": " + value).c_str());
  }
  // libcurl would send "Expect: 100-continue" for larger bodies; no API we speak needs it.
  headers = curl().slist_append(headers, "Expect:");
  set(handle, CURLOPT_HTTPHEADER, headers);
  return headers;
}

}  // namespace

HttpResponse performCurl(const HttpOptions& options, const HttpRequest& request, void*& handle) {
  HttpResponse response;
  const CurlApi& api = curl();
  if (!api.loaded) {
    response.error = api.error;
    return response;
  }
  if (handle == nullptr) {
    handle = api.easy_init();
    if (handle == nullptr) {
      response.error = "curl_easy_init failed";
      return response;
    }
  }
  CURL* easy = static_cast<CURL*>(handle);
  api.easy_reset(easy);  // keeps live connections for reuse
  Transfer transfer{&response, options.maxBodySize, false, &options};
  char errorBuffer[CURL_ERROR_SIZE] = {0};
  const std::string agent = userAgent();
  setTransferOptions(easy, options, transfer, errorBuffer, agent);
  curl_slist* headers = setRequest(easy, request);
  const CURLcode rc = api.easy_perform(easy);
  api.slist_free_all(headers);
  if (rc != CURLE_OK) {
    response.status = 0;
    response.timedOut = rc == CURLE_OPERATION_TIMEDOUT;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      response.error = "interrupted (shutting down)";
    } else if (transfer.tooLarge) {
      response.error = "reply larger than " + std::to_string(options.maxBodySize) + " bytes";
    } else {
      response.error = errorBuffer[0] != '\0' ? errorBuffer : api.easy_strerror(rc);
    }
    response.body.clear();
    return response;
  }
  long status = 0;
  api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

void releaseCurl(void* handle) {
  if (handle != nullptr) {
    curl().easy_cleanup(static_cast<CURL*>(handle));
  }
}

}  // namespace chipmunk::providers::http
