#include "service.hpp"

#include <chrono>

#include "basic_auth.hpp"
#include "client_ip.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kJson = "application/json";

Response plain(int code, std::string body) {
  Response r;
  r.code = code;
  r.contentType = kTextPlain;
  r.body = std::move(body);
  return r;
}

Response unauthorized() {
  Response r = plain(401, "Access denied");
  r.extraHeaders = "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n";
  return r;
}

Response methodNotAllowed(const char* allow) {
  Response r = plain(405, "Method Not Allowed");
  r.extraHeaders = std::string("Allow: ") + allow + "\r\n";
  return r;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool isGetLike(Method m) {
  return m == Method::kGet || m == Method::kHead;
}

}  // namespace

const char* reasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

ApiService::ApiService(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : runtime_(makeRuntime(config)), store_(std::move(store)) {}

std::shared_ptr<const ApiService::Runtime> ApiService::makeRuntime(
    const config::ApiConfig& config) {
  auto rt = std::make_shared<Runtime>();
  rt->config = config;
  rt->auth = std::make_shared<Authenticator>(config.users);
  rt->limiter = std::make_shared<LoginLimiter>(config.maxFailedLogins, config.failedLoginWindow,
                                               config.failedLoginLockout);
  return rt;
}

void ApiService::reload(const config::ApiConfig& config) {
  std::atomic_store(&runtime_, makeRuntime(config));
}

Response ApiService::handle(const RequestInfo& request, bool allowSlow) {
  const auto rt = runtime();
  const auto& cfg = rt->config;
  const IpAddress client = resolveClientIp(
      request.peer,
      {request.xForwardedFor ? std::optional<std::string_view>(*request.xForwardedFor)
                             : std::nullopt,
       request.xRealIp ? std::optional<std::string_view>(*request.xRealIp) : std::nullopt,
       request.forwarded ? std::optional<std::string_view>(*request.forwarded) : std::nullopt},
      cfg.trustedProxies, cfg.clientIpHeader);
  const std::string clientText = client.toString();

  auto finish = [&](Response r, std::string user = {}) {
    r.client = clientText;
    r.user = std::move(user);
    return r;
  };

  if (request.path == "/healthz") {
    return finish(isGetLike(request.method) ? plain(200, "ok\n") : methodNotAllowed("GET, HEAD"));
  }

  const bool ipEndpoint = request.path == "/get/ip" || request.path == "/get/ip.json";
  std::string user;
  if (!(ipEndpoint && cfg.publicIpEndpoints)) {
    const auto now = std::chrono::steady_clock::now();
    if (const long long wait = rt->limiter->blockedFor(client, now); wait > 0) {
      Response r = plain(429, "Too Many Requests");
      r.extraHeaders = "Retry-After: " + std::to_string(wait) + "\r\n";
      return finish(std::move(r));
    }
    const auto creds =
        request.authorization ? parseBasicAuthorization(*request.authorization) : std::nullopt;
    if (!creds) {
      if (request.authorization) {
        rt->limiter->recordFailure(client, now);
      }
      return finish(unauthorized());
    }
    std::optional<bool> ok = rt->auth->verifyFast(creds->user, creds->password);
    if (!ok) {
      if (!allowSlow) {
        Response r;
        r.needsSlowAuth = true;
        return r;
      }
      ok = rt->auth->verifySlow(creds->user, creds->password);
    }
    if (!*ok) {
      rt->limiter->recordFailure(client, now);
      return finish(unauthorized(), creds->user);
    }
    user = creds->user;
  }

  if (request.path == "/get/ip") {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"), user);
    }
    return finish(plain(200, "Your IP:  " + clientText), user);
  }
  if (request.path == "/get/ip.json") {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"), user);
    }
    Response r;
    r.contentType = kJson;
    r.body = "{\"Client_IP\": \"" + clientText + "\"}";
    return finish(std::move(r), user);
  }
  if (request.path == "/set") {
    if (!isGetLike(request.method) && request.method != Method::kPost) {
      return finish(methodNotAllowed("GET, HEAD, POST"), user);
    }
    const SetOutcome outcome = store_->recordIp(user, client, unixNow());
    if (outcome == SetOutcome::kFailed) {
      return finish(plain(500, "Failed to persist information."), user);
    }
    Response r;
    r.contentType = kJson;
    r.body = "{\"Client_IP\": \"" + clientText + "\", \"status\": \"" +
             (outcome == SetOutcome::kSaved ? "saved" : "unchanged") + "\"}";
    return finish(std::move(r), user);
  }
  return finish(plain(404, "Not Found"), user);
}

}  // namespace chipmunk::api
