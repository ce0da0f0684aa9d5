// SPDX-License-Identifier: MIT
// Two transports behind one interface:
//  - http:// is spoken here directly (HTTP/1.1, one request per connection): a daemon that
//    mostly talks plain HTTP to a local chipmunk-api should not pay for libcurl, which with
//    its ~35 dependent libraries cost ~6 MB of resident memory and ~3 ms per start on
//    Debian 12 (measured; docs/UPDATER.md, "Benchmark").
//  - https:// goes through libcurl, loaded with dlopen() on first use, so that TLS keeps a
//    maintained, verified implementation (certificate and host name checks, CA file).
#include "providers/http_client.hpp"
#include "common/strings.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "chipmunk/version.hpp"
#include "common/base64.hpp"
#include "config/settings.hpp"

namespace chipmunk::providers {
namespace {

bool (*gInterruptCheck)() = nullptr;

bool interrupted(const HttpOptions& options) {
  return (gInterruptCheck != nullptr && gInterruptCheck()) ||
         (options.cancel != nullptr && options.cancel->load());
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// ---- libcurl, loaded on demand ----

struct CurlApi {
  bool loaded = false;
  std::string error;
  CURLcode (*globalInit)(long) = nullptr;
  CURL* (*easyInit)() = nullptr;
  void (*easyCleanup)(CURL*) = nullptr;
  void (*easyReset)(CURL*) = nullptr;
  CURLcode (*easySetopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easyPerform)(CURL*) = nullptr;
  CURLcode (*easyGetinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easyStrerror)(CURLcode) = nullptr;
  curl_slist* (*slistAppend)(curl_slist*, const char*) = nullptr;
  void (*slistFreeAll)(curl_slist*) = nullptr;
};

const CurlApi& curlApi() {
  static CurlApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = ::dlerror();
      api.error = std::string("https needs libcurl: ") + (e != nullptr ? e : "cannot load");
      return;
    }
    auto sym = [&](const char* name) { return ::dlsym(lib, name); };
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym(name));
      return fn != nullptr;
    };
    const bool ok =
        bind(api.globalInit, "curl_global_init") && bind(api.easyInit, "curl_easy_init") &&
        bind(api.easyCleanup, "curl_easy_cleanup") && bind(api.easyReset, "curl_easy_reset") &&
        bind(api.easySetopt, "curl_easy_setopt") && bind(api.easyPerform, "curl_easy_perform") &&
        bind(api.easyGetinfo, "curl_easy_getinfo") &&
        bind(api.easyStrerror, "curl_easy_strerror") &&
        bind(api.slistAppend, "curl_slist_append") && bind(api.slistFreeAll, "curl_slist_free_all");
    if (!ok) {
      api.error = "https needs libcurl: a libcurl function is missing";
      return;
    }
    api.globalInit(CURL_GLOBAL_DEFAULT);
    api.loaded = true;
  });
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
  const std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a 100 Continue)
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    t->response->headers[lowercase(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return n;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return interrupted(*static_cast<Transfer*>(user)->options) ? 1 : 0;  // non-zero aborts
}

// ---- plain HTTP ----

struct Url {
  std::string host;  // without brackets
  std::string port = "80";
  std::string target = "/";
  std::string hostHeader;
};

bool parseHttpUrl(const std::string& url, Url& out, std::string& error) {
  const std::string prefix = "http://";
  if (url.compare(0, prefix.size(), prefix) != 0) {
    error = "not an http:// URL";
    return false;
  }
  const size_t authorityStart = prefix.size();
  size_t authorityEnd = url.find_first_of("/?#", authorityStart);
  if (authorityEnd == std::string::npos) {
    authorityEnd = url.size();
  }
  const std::string authority = url.substr(authorityStart, authorityEnd - authorityStart);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    error = "bad URL authority (credentials in URLs are not supported)";
    return false;
  }
  out.hostHeader = authority;
  if (authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      error = "bad IPv6 literal in URL";
      return false;
    }
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        error = "bad URL authority";
        return false;
      }
      out.port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      out.port = authority.substr(colon + 1);
    }
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5 ||
      !std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(out.port) > 65535) {
    error = "bad host or port in URL";
    return false;
  }
  std::string rest = url.substr(authorityEnd);
  const auto hash = rest.find('#');
  if (hash != std::string::npos) {
    rest.erase(hash);
  }
  out.target = rest.empty() ? "/" : (rest[0] == '?' ? "/" + rest : rest);
  for (const char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = "URL contains spaces or control characters";
      return false;
    }
  }
  return true;
}

using Clock = std::chrono::steady_clock;

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

// The items of a comma-separated field value, trimmed; empty items are dropped.
std::vector<std::string> splitComma(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) {
      comma = value.size();
    }
    std::string item = trim(value.substr(start, comma - start));
    if (!item.empty()) {
      out.push_back(std::move(item));
    }
    start = comma + 1;
  }
  return out;
}

// Decodes a chunked body; false when it is incomplete or malformed.
bool decodeChunked(const std::string& raw, std::string& out, bool& complete) {
  out.clear();
  complete = false;
  size_t pos = 0;
  for (;;) {
    const auto eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) {
      return true;  // need more
    }
    std::string sizeText = raw.substr(pos, eol - pos);
    sizeText = sizeText.substr(0, sizeText.find(';'));
    sizeText = trim(sizeText);
    if (sizeText.empty() || sizeText.size() > 8 ||
        !std::all_of(sizeText.begin(), sizeText.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; })) {
      return false;
    }
    const size_t size = std::stoul(sizeText, nullptr, 16);
    pos = eol + 2;
    if (size == 0) {
      complete = true;  // trailers, if any, are ignored
      return true;
    }
    if (raw.size() < pos + size + 2) {
      return true;  // need more
    }
    out.append(raw, pos, size);
    pos += size + 2;
  }
}

HttpResponse performPlain(const HttpOptions& options, const HttpRequest& request) {
  HttpResponse response;
  Url url;
  if (!parseHttpUrl(request.url, url, response.error)) {
    return response;
  }
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const auto connectDeadline = std::min(deadline, start + options.connectTimeout);
  auto timedOut = [&] {
    response.timedOut = true;
    response.error =
        "Operation timed out after " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()) +
        " milliseconds";
    return response;
  };
  auto failed = [&](const std::string& what) {
    response.error = interrupted(options) ? "interrupted (shutting down)" : what;
    return response;
  };

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = options.resolve == IpResolve::kV4   ? AF_INET
                    : options.resolve == IpResolve::kV6 ? AF_INET6
                                                        : AF_UNSPEC;
  addrinfo* found = nullptr;
  const int gai = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
  if (gai != 0) {
    return failed("Could not resolve host: " + url.host + " (" + ::gai_strerror(gai) + ")");
  }
  int fd = -1;
  std::string connectError = "Failed to connect";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    const int s =
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (s < 0) {
      continue;
    }
    if (::connect(s, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      connectError = std::string("Failed to connect: ") + std::strerror(errno);
      ::close(s);
      continue;
    }
    const int ready = waitFd(options, s, POLLOUT, connectDeadline);
    int soError = 0;
    socklen_t len = sizeof soError;
    if (ready == 1 && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 && soError == 0) {
      fd = s;
      break;
    }
    ::close(s);
    if (ready == 0) {
      ::freeaddrinfo(found);
      return timedOut();
    }
    if (ready < 0) {
      ::freeaddrinfo(found);
      return failed("Failed to connect");
    }
    connectError = std::string("Failed to connect: ") + std::strerror(soError);
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return failed(connectError + " to " + url.hostHeader);
  }
  Socket socket(fd);

  std::string out = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.hostHeader +
                    "\r\nUser-Agent: " + userAgent() + "\r\nAccept: */*\r\nConnection: close\r\n";
  if (request.basicAuth) {
    out += "Authorization: Basic " +
           base64Encode(request.basicAuth->first + ":" + request.basicAuth->second) + "\r\n";
  }
  for (const auto& [name, value] : request.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return failed("header with a line break");
    }
    out += name + ": " + value + "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += "\r\n" + request.body;
  size_t sent = 0;
  while (sent < out.size()) {
    const int ready = waitFd(options, fd, POLLOUT, deadline);
    if (ready == 0) {
      return timedOut();
    }
    if (ready < 0) {
      return failed("send failed");
    }
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    if (n <= 0) {
      return failed(std::string("Send failure: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(n);
  }

  // Read: the head, then the body by Content-Length, chunks or until close.
  const size_t maxHead = 64 * 1024;
  std::string data;
  size_t headEnd = std::string::npos;
  enum class Framing { kLength, kChunked, kClose, kNone } framing = Framing::kClose;
  size_t contentLength = 0;
  bool eof = false;
  for (;;) {
    if (headEnd != std::string::npos) {
      const size_t have = data.size() - headEnd - 4;
      if (framing == Framing::kNone || (framing == Framing::kLength && have >= contentLength)) {
        response.body = data.substr(headEnd + 4, framing == Framing::kNone ? 0 : contentLength);
        break;
      }
      if (framing == Framing::kChunked) {
        bool complete = false;
        if (!decodeChunked(data.substr(headEnd + 4), response.body, complete)) {
          return failed("malformed chunked body");
        }
        if (complete) {
          break;
        }
      }
      if (have > options.maxBodySize) {
        response.body.clear();
        return failed("reply larger than " + std::to_string(options.maxBodySize) + " bytes");
      }
      if (eof) {
        if (framing == Framing::kClose) {
          response.body = data.substr(headEnd + 4);
          break;
        }
        return failed("connection closed before the end of the reply");
      }
    } else if (eof) {
      return failed(data.empty() ? "Empty reply from server" : "truncated reply head");
    } else if (data.size() > maxHead) {
      return failed("reply head too large");
    }
    const int ready = waitFd(options, fd, POLLIN, deadline);
    if (ready == 0) {
      return timedOut();
    }
    if (ready < 0) {
      return failed("receive failed");
    }
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    if (n < 0) {
      return failed(std::string("Recv failure: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof = true;
    } else {
      data.append(buf, static_cast<size_t>(n));
    }
    if (headEnd == std::string::npos) {
      headEnd = data.find("\r\n\r\n");
      if (headEnd == std::string::npos) {
        continue;
      }
      // Status line and headers.
      const std::string head = data.substr(0, headEnd);
      const auto firstEol = head.find("\r\n");
      const std::string statusLine = head.substr(0, firstEol);
      if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12 ||
          !std::isdigit(static_cast<unsigned char>(statusLine[9]))) {
        return failed("not an HTTP/1.x reply");
      }
      response.status = std::stoi(statusLine.substr(9, 3));
      if (response.status >= 100 && response.status < 200) {
        data.erase(0, headEnd + 4);  // an interim reply: the real one follows
        headEnd = std::string::npos;
        response.status = 0;
        continue;
      }
      size_t pos = firstEol == std::string::npos ? head.size() : firstEol + 2;
      // Every Content-Length value (list items too) and the Transfer-Encoding codings: a
      // reply whose length two parsers could read differently is refused (RFC 9112 sections
      // 5.1, 5.2 and 6.3), whatever "last one wins" would have made of it.
      std::vector<std::string> lengths;
      std::string codings;
      while (pos < head.size()) {
        auto eol = head.find("\r\n", pos);
        if (eol == std::string::npos) {
          eol = head.size();
        }
        const std::string line = head.substr(pos, eol - pos);
        pos = eol + 2;
        const auto colon = line.find(':');
        if (line.empty() || line.front() == ' ' || line.front() == '\t' ||
            colon == std::string::npos || colon == 0 || line[colon - 1] == ' ' ||
            line[colon - 1] == '\t' || line.find_first_of(std::string("\r\n\0", 3)) != line.npos) {
          return failed("malformed reply header");
        }
        const std::string name = lowercase(line.substr(0, colon));
        const std::string value = trim(line.substr(colon + 1));
        if (name == "content-length") {
          for (const auto& item : splitComma(value)) {
            lengths.push_back(item);
          }
        } else if (name == "transfer-encoding") {
          codings += (codings.empty() ? "" : ",") + lowercase(value);
        }
        response.headers[name] = value;
      }
      if (!codings.empty() && !lengths.empty()) {
        return failed("reply with both Content-Length and Transfer-Encoding");
      }
      for (const auto& cl : lengths) {
        if (cl != lengths.front() || cl.empty() || cl.size() > 12 ||
            !std::all_of(cl.begin(), cl.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
          return failed("bad Content-Length");
        }
      }
      const auto te = splitComma(codings);
      if (request.method == "HEAD" || response.status == 204 || response.status == 304) {
        framing = Framing::kNone;
      } else if (!te.empty()) {
        // Chunked only as the last coding; otherwise the reply ends when the connection does.
        framing = te.back() == "chunked" ? Framing::kChunked : Framing::kClose;
      } else if (!lengths.empty()) {
        contentLength = std::stoull(lengths.front());
        if (contentLength > options.maxBodySize) {
          return failed("reply larger than " + std::to_string(options.maxBodySize) + " bytes");
        }
        framing = Framing::kLength;
      } else {
        framing = Framing::kClose;
      }
    }
  }
  return response;
}

// Parses an HTTP date in the three formats of RFC 9110 section 5.6.7.
std::optional<std::time_t> parseHttpDate(const std::string& text) {
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') {
      return ::timegm(&tm);
    }
  }
  return std::nullopt;
}

}  // namespace

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

std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value, std::time_t now) {
  const std::string v = trim(value);
  if (v.empty()) {
    return std::nullopt;
  }
  const long long cap = kMaxRetryAfter.count();
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    long long seconds = 0;
    for (const char c : v) {
      seconds = std::min(cap, seconds * 10 + (c - '0'));  // saturates: no overflow
    }
    return std::chrono::seconds(seconds);
  }
  const auto when = parseHttpDate(v);
  if (!when) {
    return std::nullopt;
  }
  // time_t is 64-bit: the difference of two of them (year 9999 or a timegm() -1) is exact.
  const long long delta = *when > now ? static_cast<long long>(*when - now) : 0;
  return std::chrono::seconds(std::min(cap, delta));
}

std::string urlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string redactUrl(const std::string& url) {
  std::string out = url;
  const auto scheme = out.find("://");
  const size_t hostStart = scheme == std::string::npos ? 0 : scheme + 3;
  const auto pathStart = out.find('/', hostStart);
  const auto at = out.find('@', hostStart);
  if (at != std::string::npos && (pathStart == std::string::npos || at < pathStart)) {
    out.erase(hostStart, at + 1 - hostStart);
  }
  const auto query = out.find_first_of("?#");
  if (query != std::string::npos) {
    out.erase(query);
  }
  return out;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) {
    curlApi().easyCleanup(static_cast<CURL*>(curl_));
  }
}

HttpResponse HttpClient::perform(const HttpRequest& request) {
  if (request.url.rfind("http://", 0) == 0) {
    return performPlain(options_, request);
  }
  HttpResponse response;
  if (request.url.rfind("https://", 0) != 0) {
    response.error = "unsupported URL scheme (http:// and https:// only)";
    return response;
  }
  const CurlApi& api = curlApi();
  if (!api.loaded) {
    response.error = api.error;
    return response;
  }
  if (curl_ == nullptr) {
    curl_ = api.easyInit();
    if (curl_ == nullptr) {
      response.error = "curl_easy_init failed";
      return response;
    }
  }
  CURL* curl = static_cast<CURL*>(curl_);
  api.easyReset(curl);  // keeps live connections for reuse
  Transfer transfer{&response, options_.maxBodySize, false, &options_};
  char errorBuffer[CURL_ERROR_SIZE] = {0};
  auto set = api.easySetopt;

  set(curl, CURLOPT_URL, request.url.c_str());
  set(curl, CURLOPT_NOSIGNAL, 1L);
  set(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  set(curl, CURLOPT_PROTOCOLS_STR, "https");
  set(curl, CURLOPT_FOLLOWLOCATION, 0L);
  set(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::min(options_.connectTimeout, options_.timeout).count()));
  set(curl, CURLOPT_SSL_VERIFYPEER, options_.verifyTls ? 1L : 0L);
  set(curl, CURLOPT_SSL_VERIFYHOST, options_.verifyTls ? 2L : 0L);
  if (!options_.caFile.empty()) {
    set(curl, CURLOPT_CAINFO, options_.caFile.c_str());
  }
  set(curl, CURLOPT_IPRESOLVE,
      options_.resolve == IpResolve::kV4   ? CURL_IPRESOLVE_V4
      : options_.resolve == IpResolve::kV6 ? CURL_IPRESOLVE_V6
                                           : CURL_IPRESOLVE_WHATEVER);
  const std::string agent = userAgent();
  set(curl, CURLOPT_USERAGENT, agent.c_str());
  if (gInterruptCheck != nullptr || options_.cancel != nullptr) {
    set(curl, CURLOPT_XFERINFOFUNCTION, &onProgress);
    set(curl, CURLOPT_XFERINFODATA, &transfer);
    set(curl, CURLOPT_NOPROGRESS, 0L);
  }
  set(curl, CURLOPT_WRITEFUNCTION, &onBody);
  set(curl, CURLOPT_WRITEDATA, &transfer);
  set(curl, CURLOPT_HEADERFUNCTION, &onHeader);
  set(curl, CURLOPT_HEADERDATA, &transfer);
  if (request.basicAuth) {
    set(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(curl, CURLOPT_USERNAME, request.basicAuth->first.c_str());
    set(curl, CURLOPT_PASSWORD, request.basicAuth->second.c_str());
  }
  if (request.method == "GET") {
    set(curl, CURLOPT_HTTPGET, 1L);
  } else {
    set(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      set(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      set(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = api.slistAppend(headers, (name + ": " + value).c_str());
  }
  // libcurl would send "Expect: 100-continue" for larger bodies; no API we speak needs it.
  headers = api.slistAppend(headers, "Expect:");
  set(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode rc = api.easyPerform(curl);
  api.slistFreeAll(headers);
  if (rc != CURLE_OK) {
    response.status = 0;
    response.timedOut = rc == CURLE_OPERATION_TIMEDOUT;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      response.error = "interrupted (shutting down)";
    } else if (transfer.tooLarge) {
      response.error = "reply larger than " + std::to_string(options_.maxBodySize) + " bytes";
    } else {
      response.error = errorBuffer[0] != '\0' ? errorBuffer : api.easyStrerror(rc);
    }
    response.body.clear();
    return response;
  }
  long status = 0;
  api.easyGetinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace chipmunk::providers
