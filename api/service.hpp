#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api_config.hpp"
#include "authenticator.hpp"
#include "ip.hpp"
#include "store.hpp"

namespace chipmunk::api {

enum class Method { kGet, kHead, kPost, kOther };

// One request as the routes see it: plain data, copied out of the HTTP layer so that it
// can be finished on another thread.
struct RequestInfo {
  Method method = Method::kGet;
  std::string methodName;
  std::string path;  // without the query string
  IpAddress peer;
  std::optional<std::string> authorization;
  std::optional<std::string> xForwardedFor;
  std::optional<std::string> xRealIp;
  std::optional<std::string> forwarded;
};

struct Response {
  int code = 200;
  std::string contentType;
  std::string body;
  std::string extraHeaders;  // complete "Name: value\r\n" lines
  // Set when the answer needs a slow password check first (see ApiService::handle).
  bool needsSlowAuth = false;
  // For the request log.
  std::string client;
  std::string user;
};

// The Chipmunk routes, independent of the HTTP library: /get/ip, /get/ip.json, /set,
// /healthz. Thread-safe; reload() swaps the reloadable settings atomically.
class ApiService {
 public:
  ApiService(const config::ApiConfig& config, std::shared_ptr<Store> store);

  // Answers a request. With allowSlow = false it never runs a KDF: when one is needed it
  // returns a Response with needsSlowAuth set, and the caller runs handle() again with
  // allowSlow = true off the I/O thread.
  Response handle(const RequestInfo& request, bool allowSlow);

  // Users, trusted proxies, public endpoints and limits take effect for new requests.
  void reload(const config::ApiConfig& config);

  Store& store() { return *store_; }

 private:
  struct Runtime {
    config::ApiConfig config;
    std::shared_ptr<Authenticator> auth;
    std::shared_ptr<LoginLimiter> limiter;
  };
  std::shared_ptr<const Runtime> runtime() const { return std::atomic_load(&runtime_); }
  static std::shared_ptr<const Runtime> makeRuntime(const config::ApiConfig& config);

  std::shared_ptr<const Runtime> runtime_;
  std::shared_ptr<Store> store_;
};

// "HTTP/1.1 <code> <reason>" reason phrases for the codes we send.
const char* reasonPhrase(int code);

}  // namespace chipmunk::api
