// SPDX-License-Identifier: MIT
// ApiService: the request path below the HTTP library. handle() looks the route up in the
// table (api/routes.cpp), guards it by its Access (api/access.cpp), then runs its handler.
#include "api/service.hpp"

#include <atomic>
#include <chrono>

#include "api/access.hpp"
#include "api/client_ip.hpp"
#include "api/directory.hpp"
#include "api/host_pages.hpp"
#include "api/metrics.hpp"
#include "api/route_nic_update.hpp"
#include "api/routes.hpp"
#include "api/watch_hub.hpp"
#include "common/logging.hpp"
#include "providers/dyndns2_codes.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

constexpr const char* kCrossSite = "Forbidden: cross-site request\n";

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string_view> view(const std::optional<std::string>& header) {
  return header ? std::optional<std::string_view>(*header) : std::nullopt;
}

// The route's answer once the caller is let in (`route` null: no such path; `allowed`: the
// route serves the request's method).
Response serve(const Route* route, bool allowed, RouteCall& call) {
  const Access access = route ? route->access : Access::kReader;
  // A query string that is malformed or carries a NUL is refused on every route, also on
  // those that read no field; /healthz and the dyndns2 routes answer it themselves, after
  // the method.
  if (access != Access::kAnyone && access != Access::kDyndns2 && malformedQuery(call.request)) {
    return plain(400, "Bad Request: malformed query string");
  }
  if (route == nullptr) {
    return plain(404, "Not Found");
  }
  if (!allowed) {
    Response r = methodNotAllowed(route->methods);
    if (access == Access::kDyndns2) {
      r.body = dyndns2::line(dyndns2::kBadagent);  // dyndns2's word for "method not permitted"
    }
    return r;
  }
  return route->handler(call);
}

// An update on an I/O thread (allowSlow = false): answered here when it changes nothing and
// the store can tell from memory (Route::quick: no writer thread, nothing written), else
// handed to the writers' pool (needsWriter). One Response, returned as it is.
Response updateOnIoThread(const Route& route, RouteCall& call) {
  const bool quick = route.quick && call.store.answersUnchanged();
  call.quickOnly = quick;
  Response r = quick ? serve(&route, true, call) : Response();
  if (!quick || call.needsWriter) {
    r = Response();
    r.needsWriter = true;
    r.slowAuthSource = LoginLimiter::key(call.client);
  }
  return r;
}

// What logs a caller in (ApiService::handle's arguments and the runtime's).
struct Login {
  Authenticator& auth;
  LoginLimiter& limiter;
  AuthMemo* memo;
  uint64_t generation;
  bool allowSlow;
};

// The answer to `call` once its route is looked up: refusals first (cross-site, forwarding
// headers, login), then the route's own (`clientKnown`: the forwarding headers agree).
Response guarded(const Route* route, bool clientKnown, RouteCall& call, const Login& login) {
  const RequestInfo& request = call.request;
  const auto& cfg = call.config;
  // An unknown path is answered 404 to a logged-in user only, as a read would be.
  const Access access = route ? route->access : Access::kReader;
  const bool allowed = route != nullptr && route->allows(request.method);
  if (access != Access::kAnyone) {
    // Before anything else of the request is weighed, and before the password check: a
    // page on another site can make a browser send its cached credentials, but no request
    // of its costs a password check or counts as a failed login, and all get the same 403.
    if (crossSiteRefused(request, access == Access::kWriter || access == Access::kDyndns2)) {
      return plain(403, kCrossSite);
    }
    if (!clientKnown) {
      // client_ip_header = auto and the proxy's headers name different clients: one of them
      // was passed on from the client. Nobody is charged or served as the wrong address.
      return plain(400, "Bad Request: conflicting forwarding headers");
    }
    const bool needed =
        access == Access::kMetrics ? !metricsOpen(request, cfg) : needsLogin(access, cfg);
    if (needed) {
      if (auto refusal = logIn(login.auth, login.limiter, call, access, login.allowSlow, login.memo,
                               login.generation)) {
        return std::move(*refusal);
      }
      if (access == Access::kMetrics && !mayReadMetrics(cfg, call.user)) {
        return plain(403, "Forbidden\n");
      }
    }
    if (!login.allowSlow && (access == Access::kWriter || access == Access::kDyndns2) && allowed) {
      return updateOnIoThread(*route, call);
    }
  }
  return serve(route, allowed, call);
}

}  // namespace

ApiService::ApiService(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : runtime_(makeRuntime(config, nullptr, nullptr, nullptr)),
      watch_(std::make_shared<WatchHub>()),
      store_(watchedStore(std::move(store), watch_)),
      nochg_(std::make_unique<NochgCounters>()),
      metrics_(std::make_unique<ApiMetrics>()) {
  credentialsChanged();  // another service's memos (tests run several) are not this one's
  watch_->setLimits(config.maxWatchers, config.maxWatchersPerUser);
}

ApiService::~ApiService() {
  watch_->stop();
}

ApiService::Current ApiService::currentAt(uint64_t generation) const {
  struct Copy {
    const ApiService* owner = nullptr;
    uint64_t generation = 0;
    std::weak_ptr<const Runtime> runtime;
    std::weak_ptr<RecordListener> listener;  // expired only when replaced (or none)
  };
  thread_local Copy copy;
  if (copy.owner == this && copy.generation == generation) {
    if (auto rt = copy.runtime.lock()) {
      return {std::move(rt), copy.listener.lock()};
    }
  }
  Current now{runtime(), std::atomic_load(&listener_)};
  copy = {this, generation, now.runtime, now.listener};
  return now;
}

std::string ApiService::watchVersion(const std::string& user) {
  return visibleVersion(runtime()->config, *watch_, user);
}

std::shared_ptr<ApiService::Runtime> ApiService::makeRuntime(
    const config::ApiConfig& config, const Authenticator* previous,
    std::shared_ptr<const TokenTable> tokens, std::shared_ptr<DirectoryCache> directory) {
  auto rt = std::make_shared<Runtime>();
  rt->config = config;
  if (!rt->config.ownership) {
    rt->config.indexOwnership();  // a configuration assembled by hand (tests, tools)
  }
  rt->auth = std::make_shared<Authenticator>(config.users.shared(), previous, std::move(tokens),
                                             std::move(directory));
  rt->limiter = std::make_shared<LoginLimiter>(config.maxFailedLogins, config.failedLoginWindow,
                                               config.failedLoginLockout);
  return rt;
}

void ApiService::reload(const config::ApiConfig& config, std::shared_ptr<const TokenTable> tokens,
                        std::shared_ptr<DirectoryCache> directory) {
  const auto old = runtime();
  auto rt = makeRuntime(config, old->auth.get(), std::move(tokens), std::move(directory));
  // Lockouts and counts survive a reload (SIGHUP must not be an amnesty); only the limits
  // change.
  old->limiter->configure(config.maxFailedLogins, config.failedLoginWindow,
                          config.failedLoginLockout);
  rt->limiter = old->limiter;
  std::atomic_store(&runtime_, std::shared_ptr<const Runtime>(std::move(rt)));
  credentialsChanged();  // no connection's remembered login stands (api/auth_memo.hpp)
  watch_->setLimits(config.maxWatchers, config.maxWatchersPerUser);
  watch_->touchedAll();  // who reads what may have changed (users, hosts, meshes)
}

void ApiService::setListener(std::shared_ptr<RecordListener> listener) {
  std::atomic_store(&listener_, std::move(listener));
  credentialsChanged();  // the request path's copies (currentAt) are taken again
}

void ApiService::expireRecords() {
  const auto rt = runtime();
  const auto expired = store_->expireDue(unixNow());
  auto listener = std::atomic_load(&listener_);
  for (const auto& record : expired) {
    if (listener) {
      listener->recordExpired(ownerOf(rt->config, record.name), record);
    }
  }
}

Response ApiService::handle(const RequestInfo& request, bool allowSlow, AuthMemo* memo) {
  try {
    return handleLoaded(request, allowSlow, memo);
  } catch (const DirectoryUnavailable& e) {
    // A user or a name the directory must be asked about while the database is away: the
    // caller is not refused (401) nor is anything decided; the client retries.
    static std::atomic<int64_t> lastLog{0};  // once a second, not once a request
    const int64_t now = unixNow();
    if (lastLog.exchange(now) != now) {
      logging::get("api")->warn("directory unavailable error=\"{}\"", e.what());
    }
    Response r = plain(503, "Service Unavailable: the user directory cannot be reached\n");
    r.extraHeaders = "Retry-After: 5\r\n";
    r.route = routeIndex(findRoute(request.path));
    r.client = request.peer.toString();
    return r;
  }
}

Response ApiService::handleLoaded(const RequestInfo& request, bool allowSlow, AuthMemo* memo) {
  // Read before the runtime: a memo made now is stamped no later than what it was checked
  // against (credentialsChanged() comes after the change).
  const uint64_t generation = credentialsGeneration.load(std::memory_order_acquire);
  auto current = currentAt(generation);
  const auto& rt = current.runtime;
  const auto& cfg = rt->config;
  const Route* route = findRoute(request.path);
  if (route != nullptr && route->access == Access::kMetrics &&
      cfg.metricsAccess == config::MetricsAccess::kOff) {
    route = nullptr;  // as if there were no such route
  }
  const auto client = resolveClientIp(
      request.peer, {view(request.xForwardedFor), view(request.xRealIp), view(request.forwarded)},
      cfg.trustedProxies, cfg.clientIpHeader);
  const IpAddress caller = client ? *client : request.peer;
  RouteCall call{cfg,    request,           *store_,     *nochg_,   std::move(current.listener),
                 caller, caller.toString(), {},          unixNow(), {},
                 false,  metrics_.get(),    watch_.get()};
  const Login login{*rt->auth, *rt->limiter, memo, generation, allowSlow};
  Response r = guarded(route, client.has_value(), call, login);
  r.route = routeIndex(route);
  r.client = std::move(call.clientText);  // call ends here
  r.user = std::move(call.user);
  return r;
}

}  // namespace chipmunk::api
