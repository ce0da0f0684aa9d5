// SPDX-License-Identifier: MIT
// The route table of chipmunk-api and the helpers its route families share. ApiService::handle
// (api/service.cpp) looks a request up here, guards it by the route's Access, then calls the
// handler.
#include "api/routes.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string_view>

#include "api/metrics.hpp"

namespace chipmunk::api {

namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kJson = "application/json";

// `methods` ("GET, HEAD": names separated by ", ") as Route::methodBits, at compile time: an
// unknown name stops the build.
constexpr unsigned methodBits(const char* list) {
  unsigned bits = 0;
  for (const char* at = list; *at != '\0';) {
    const char* end = at;
    while (*end != '\0' && *end != ',') {
      ++end;
    }
    const std::string_view name(at, static_cast<size_t>(end - at));
    if (name == "GET") {
      bits |= 1u << static_cast<unsigned>(Method::kGet);
    } else if (name == "HEAD") {
      bits |= 1u << static_cast<unsigned>(Method::kHead);
    } else if (name == "POST") {
      bits |= 1u << static_cast<unsigned>(Method::kPost);
    } else {
      throw "routes.cpp: a method the request reader does not tell apart";
    }
    at = *end == ',' ? end + 2 : end;
  }
  return bits;
}

constexpr Route row(const char* path, const char* methods, Access access, RouteHandler handler,
                    bool quick) {
  return Route{path, methods, access, handler, quick, methodBits(methods)};
}

// clang-format off
constexpr Route kRoutes[] = {
  //  path            methods      access             handler          quick
  row("/healthz",     "GET, HEAD", Access::kAnyone,   answerHealth,    false),
  row("/get/ip",      "GET, HEAD", Access::kPublicIp, answerIpText,    false),
  row("/get/ip.json", "GET, HEAD", Access::kPublicIp, answerIpJson,    false),
  row("/set",         "GET, POST", Access::kWriter,   answerSet,       true),
  row("/nic/update",  "GET",       Access::kDyndns2,  answerNicUpdate, true),
  row("/v3/update",   "GET",       Access::kDyndns2,  answerNicUpdate, true),
  row("/hosts",       "GET, HEAD", Access::kReader,   answerHosts,     false),
  row("/hosts/",      "GET, HEAD", Access::kReader,   answerHosts,     false),
  row("/metrics",     "GET, HEAD", Access::kMetrics,  answerMetrics,   false),
  row("/",            "GET, HEAD", Access::kReader,   answerPage,      false),
};
// clang-format on
// quick: an unchanged update (the address the record has) is answered on the I/O thread
// when the store can apply it from memory (Store::updateIfUnchanged); a change, a new
// record, a busy record or a store that cannot (PostgreSQL) goes to the writers' pool.
// HEAD is a safe method (RFC 9110 section 9.2.1): `curl -I` or a link checker must not
// store the caller's address, so the routes that write serve no HEAD.

Response answerWith(int code, const char* contentType, std::string body) {
  Response r;
  r.code = code;
  r.contentType = contentType;
  r.body = std::move(body);
  return r;
}

}  // namespace

bool Route::matches(const std::string& requestPath) const {
  const std::string_view own(path);
  const std::string_view asked(requestPath);
  const bool prefix = own.size() > 1 && own.back() == '/';
  return prefix ? asked.substr(0, own.size()) == own : asked == own;
}

const Route* findRoute(const std::string& path) {
  for (const Route& route : kRoutes) {
    if (route.matches(path)) {
      return &route;
    }
  }
  return nullptr;
}

int routeIndex(const Route* route) {
  return route == nullptr ? kRouteUnmatched : static_cast<int>(route - kRoutes);
}

const char* routeName(int index) {
  if (index == kRouteUnparsed) {
    return "unparsed";
  }
  if (index == kRouteUnmatched) {
    return "unmatched";
  }
  return index >= 0 && static_cast<size_t>(index) < std::size(kRoutes) ? kRoutes[index].path
                                                                       : nullptr;
}

UpdateResult timedUpdate(RouteCall& call, const std::string& name, const RecordUpdate& update) {
  UpdateResult result;
  if (call.quickOnly) {
    // Nothing written: counted apart from the store writes' histogram.
    call.needsWriter = !call.store.updateIfUnchanged(name, update, call.now);
    result.outcome = call.needsWriter ? SetOutcome::kFailed : SetOutcome::kUnchanged;
    if (!call.needsWriter && call.metrics != nullptr) {
      call.metrics->countQuickUpdate();
    }
    return result;  // before and after left empty (see routes.hpp)
  }
  const auto start = std::chrono::steady_clock::now();
  result = call.store.update(name, update, call.now);
  if (call.metrics != nullptr) {
    call.metrics->observeStoreWrite(std::chrono::steady_clock::now() - start, result.outcome);
  }
  return result;
}

Response toWriter(RouteCall& call) {
  call.needsWriter = true;
  Response r;
  r.needsWriter = true;
  return r;
}

Response answerMetrics(RouteCall& call) {
  if (malformedQuery(call.request)) {
    return plain(400, "Bad Request: malformed query string");
  }
  // The text format's content type (https://prometheus.io/docs/instrumenting/exposition_formats/).
  return answerWith(200, "text/plain; version=0.0.4; charset=utf-8",
                    call.metrics != nullptr ? call.metrics->render(call.store) : std::string());
}

Response plain(int code, std::string body) {
  return answerWith(code, kTextPlain, std::move(body));
}

Response json(int code, std::string body) {
  return answerWith(code, kJson, std::move(body));
}

Response storeFailed(std::string body) {
  // 503, not 500: a store that cannot write (a database restarting, a full disk) is a state
  // the client should wait out and retry, as dyndns2's 911 says.
  Response r = plain(503, std::move(body));
  r.extraHeaders = "Retry-After: 5\r\n";
  return r;
}

Response methodNotAllowed(const char* allow) {
  Response r = plain(405, "Method Not Allowed");
  r.extraHeaders = std::string("Allow: ") + allow + "\r\n";
  return r;
}

bool isGetLike(Method method) {
  return method == Method::kGet || method == Method::kHead;
}

bool hasNul(const Fields& fields) {
  return std::any_of(fields.begin(), fields.end(), [](const auto& f) {
    return f.first.find('\0') != std::string::npos || f.second.find('\0') != std::string::npos;
  });
}

bool malformedQuery(const RequestInfo& request) {
  return request.badQuery || hasNul(request.query);
}

std::string echo(const std::string& text, size_t max) {
  std::string out = text.substr(0, max);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      c = '?';
    }
  }
  return out;
}

std::string ownerOf(const config::ApiConfig& config, const std::string& name) {
  return config.ownerOf(name);
}

std::vector<std::string> namesMayUpdate(const RouteCall& call) {
  auto names = call.config.namesOwnedBy(call.user);
  if (!call.scope.empty()) {
    names.erase(std::remove_if(names.begin(), names.end(),
                               [&](const std::string& n) {
                                 return std::find(call.scope.begin(), call.scope.end(), n) ==
                                        call.scope.end();
                               }),
                names.end());
  }
  return names;
}

bool mayUpdate(const RouteCall& call, const std::string& name) {
  if (call.scope.empty() && name == call.user) {
    return true;  // namesOwnedBy() always holds the user
  }
  const auto names = namesMayUpdate(call);
  return std::find(names.begin(), names.end(), name) != names.end();
}

void notifyChange(const RouteCall& call, const std::string& name, const UpdateResult& result) {
  if (result.outcome != SetOutcome::kSaved || !result.addressChanged()) {
    return;
  }
  if (call.listener) {
    // The caller's own record needs no lookup (ownerOf walks the users).
    call.listener->recordChanged(name == call.user ? name : ownerOf(call.config, name),
                                 result.before, result.after);
  }
}

Response answerHealth(RouteCall& call) {
  return malformedQuery(call.request) ? plain(400, "Bad Request: malformed query string")
                                      : plain(200, "ok\n");
}

}  // namespace chipmunk::api
