// SPDX-License-Identifier: MIT
// Long file: the Pistache glue is one handler class and the helpers only it uses.
// The Pistache glue of chipmunk-api: the endpoint, and the handler that turns a parsed
// Pistache request into a RequestInfo for ApiService and writes its Response back.
#include "api/server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "api/dyndns2_reply.hpp"
#include "api/hooks.hpp"
#include "api/http_wire.hpp"
#include "api/http_writer.hpp"
#include "api/server_parser.hpp"
#include "api/slow_auth_pool.hpp"
#include "api/watch_hub.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {

using Pistache::Http::ResponseWriter;

namespace {

// Responses of one connection handed to Pistache's write queue, or to the slow-auth pool,
// and not written yet: while there is one, later responses queue behind it.
using Outstanding = std::atomic<int>;

// Only on the connection's I/O thread (Pistache's peer data is not locked).
std::shared_ptr<Outstanding> outstandingOf(Pistache::Tcp::Peer& peer) {
  static const std::string kKey = "chipmunk.outstanding";
  auto data = peer.tryGetData(kKey);
  if (!data) {
    data = std::make_shared<Outstanding>(0);
    peer.putData(kKey, data);
  }
  return std::static_pointer_cast<Outstanding>(data);
}

// What a response still holds of its connection until its bytes are out (see sendResponse).
struct Holds {
  std::shared_ptr<Outstanding> held;
  std::shared_ptr<Awaiting> awaiting;

  void release() const {
    if (held) {
      held->fetch_sub(1);
    }
    if (awaiting) {
      awaiting->release();
    }
  }
};

// On the connection's I/O thread, a plain-TCP response with nothing queued before it is
// written at once with send(2): Pistache's queue costs an eventfd write and read, an
// epoll_ctl and a wake-up per response, about a third of the CPU of a small request
// (docs/BENCHMARKS.md). True when all of `out` left; otherwise what is left of it stays in
// `out`, and `holds.held` counts it as outstanding.
bool sendAtOnce(Pistache::Tcp::Peer& peer, std::string& out, bool keepAlive, Holds& holds) {
  holds.held = outstandingOf(peer);
  size_t written = 0;
  if (holds.held->load() == 0) {
    const ssize_t n = ::send(peer.fd(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    written = n > 0 ? static_cast<size_t>(n) : 0;  // on an error Pistache's write reports it
  }
  if (written == out.size()) {
    if (!keepAlive) {
      ::shutdown(peer.fd(), SHUT_WR);
    }
    return true;
  }
  holds.held->fetch_add(1);
  out.erase(0, written);
  return false;
}

// Writes the response ourselves (see ApiServer) and, when the connection is not to be
// kept, half-closes it once the bytes are out so that clients reading to EOF finish.
// `holds.held`: a count this response already holds in the connection's Outstanding
// (slow-auth pool); released once the bytes are out. `holds.awaiting` (slow-auth pool):
// released, and the connection marked idle for Pistache's keep-alive timer, only once the
// bytes are out, so that the timer cannot drop an answer that is written but not sent.
// `onIoThread`: called on the connection's I/O thread (see sendAtOnce).
void sendResponse(ResponseWriter& writer, const Response& r, bool head, bool keepAlive, bool http10,
                  bool onIoThread, Holds holds = {}) {
  std::string out = formatResponse(r, head, keepAlive, http10);
  std::shared_ptr<Pistache::Tcp::Peer> peer;
  try {
    peer = writer.peer();
  } catch (const std::exception&) {
    holds.release();
    return;  // the client went away
  }
  if (!holds.awaiting) {
    peer->setIdle(true);
  }
  if (onIoThread && !holds.held && peer->ssl() == nullptr &&
      sendAtOnce(*peer, out, keepAlive, holds)) {
    return;
  }
  // The half-close goes through a descriptor of its own: sent from a pool thread, the
  // answer may be out, the client gone and its descriptor number reused by a new
  // connection before .then() runs, and that one must not be shut down.
  const int fd = keepAlive ? -1 : ::fcntl(peer->fd(), F_DUPFD_CLOEXEC, 0);
  const size_t size = out.size();
  auto sent = peer->send(Pistache::RawBuffer(std::move(out), size));
  std::weak_ptr<Pistache::Tcp::Peer> weakPeer = peer;
  sent.then(
      [fd, holds, weakPeer](ssize_t) {
        if (fd >= 0) {
          ::shutdown(fd, SHUT_WR);
          ::close(fd);
        }
        if (holds.held) {
          holds.held->fetch_sub(1);
        }
        if (holds.awaiting) {
          if (auto p = weakPeer.lock()) {
            p->setIdle(true);
          }
          holds.awaiting->release();
        }
      },
      [fd, holds](std::exception_ptr) {
        if (fd >= 0) {
          ::close(fd);
        }
        holds.release();
      });
}

const std::string kAwaitingKey = "chipmunk.awaiting";

// The slow-auth pool is full, or the check waited too long for its turn: nothing was
// done, try again shortly.
Response busy(const std::string& client) {
  Response r = textResponse(503, "Server busy");
  r.client = client;
  r.extraHeaders = "Retry-After: 1\r\n";
  return r;
}

// The watch refused to hold a request: too many held (Hold::kFull, kUserFull), or the
// server stops.
Response watchRefused(WatchHub::Hold why, const std::string& client) {
  Response r = why == WatchHub::Hold::kStopping
                   ? textResponse(503, "Server shutting down")
                   : textResponse(429, "Too Many Requests: too many watches held");
  r.client = client;
  r.extraHeaders = why == WatchHub::Hold::kStopping ? "Retry-After: 1\r\n" : "Retry-After: 5\r\n";
  return r;
}

// The request a changed watch is answered with: the same, without wait (the page, now).
RequestInfo withoutWait(RequestInfo info) {
  auto& q = info.query;
  q.erase(std::remove_if(q.begin(), q.end(), [](const auto& f) { return f.first == "wait"; }),
          q.end());
  return info;
}

// What the request log and the answer need of a request beyond its RequestInfo.
struct Exchange {
  RequestInfo info;
  bool keepAlive = true;
  bool http10 = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

class HttpHandler final : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)

  HttpHandler(std::shared_ptr<ApiService> service, std::shared_ptr<SlowAuthPool> pool,
              std::shared_ptr<SlowAuthPool> writers, std::chrono::milliseconds keepaliveTimeout)
      : service_(std::move(service)),
        pool_(std::move(pool)),
        writers_(std::move(writers)),
        keepaliveTimeout_(keepaliveTimeout),
        log_(logging::get("api")) {}

  // Pistache::Tcp::Handler (Pistache::Http::Handler's only puts its parser on the peer)
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto awaiting = std::make_shared<Awaiting>();
    peer->putData(kAwaitingKey, awaiting);
    peer->putData(ParserData,
                  std::make_shared<GuardedRequestParser>(getMaxRequestSize(), awaiting));
  }

  // Pistache::Tcp::Handler, in place of Pistache::Http::Handler's: that one answers a parse
  // error with Pistache's own response and goes on reading the connection, so the bytes
  // after a refused head would be parsed as the next request. Here a refused request is
  // answered with "Connection: close", the connection half-closed, and nothing it sends
  // afterwards is read, as after any response that closes the connection.
  void onInput(const char* buffer, size_t len,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto parser = std::static_pointer_cast<GuardedRequestParser>(getParser(peer));
    if (parser->closed) {
      return;
    }
    int refused = parser->take(buffer, len);
    auto state = Pistache::Http::Private::State::Again;
    if (refused == 0) {
      try {
        state = parser->parse();
      } catch (const Pistache::Http::HttpError& e) {
        refused = e.code();
      } catch (const std::exception&) {
        refused = 400;
      }
    }
    if (refused != 0) {
      parser->closed = true;
      refuse(peer, refused);
      parser->reset();
      return;
    }
    if (state != Pistache::Http::Private::State::Done) {
      return;
    }
    auto& request = parser->request;
    request.copyAddress(peer->address());
    peer->setIdle(false);
    const bool keepAlive = serve(request, parser->target(),
                                 ResponseWriter(request.version(), transport(), this, peer));
    parser->closed = !keepAlive;
    parser->reset();
  }

  // Pistache::Tcp::Handler: a held watch of this connection is not answered any more.
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    service_->watch().dropConnection(peer.get());
    Pistache::Http::Handler::onDisconnection(peer);
  }

  // Pistache::Http::Handler (not called: onInput above serves requests)
  void onRequest(const Pistache::Http::Request& request, ResponseWriter writer) override {
    serve(request, request.resource(), std::move(writer));
  }

 private:
  // A request refused before it was parsed: logged without any of its bytes.
  void refuse(const std::shared_ptr<Pistache::Tcp::Peer>& peer, int status) {
    const auto client = IpAddress::parse(peer->address().host());
    log_->info("request refused status={} client={}", status,
               client ? client->toString() : std::string("-"));
    ResponseWriter writer(Pistache::Http::Version::Http11, transport(), this, peer);
    sendResponse(writer, textResponse(status, reasonPhrase(status)), false, false, false, true);
  }

  // Answers one request; `target`: the request-target as sent. Returns whether the
  // connection stays open for another request.
  bool serve(const Pistache::Http::Request& request, const std::string& target,
             ResponseWriter writer) {
    Exchange ex;
    try {
      if (!toInfo(request, target, ex)) {
        ex.keepAlive = false;
        finish(writer, ex, textResponse(400, "Bad Request"));
        return false;
      }
      Response r = service_->handle(ex.info, false);
      if (r.watchSeconds > 0) {
        return holdWatch(std::move(writer), std::move(ex), r);
      }
      if (!r.needsSlowAuth && !r.needsWriter) {
        finish(writer, ex, r);
        return ex.keepAlive;
      }
      return handOff(std::move(writer), std::move(ex), r);
    } catch (const std::exception& e) {
      // Never echo internals to a client (Pistache would put e.what() in the body).
      log_->error("request failed error=\"{}\"", e.what());
      ex.keepAlive = false;
      finish(writer, ex, textResponse(500, "Internal Server Error"));
      return false;
    }
  }

  // What a request answered off the I/O thread holds of its connection (see Holds): later
  // responses queue behind it, Pistache's timers leave the connection alone. False when
  // the client went away.
  static bool holdConnection(const ResponseWriter& writer, Holds& holds,
                             const void** connection = nullptr) {
    try {
      const auto peer = writer.peer();
      holds.held = outstandingOf(*peer);
      holds.awaiting = std::static_pointer_cast<Awaiting>(peer->getData(kAwaitingKey));
      if (connection != nullptr) {
        *connection = peer.get();
      }
    } catch (const std::exception&) {
      return false;
    }
    holds.held->fetch_add(1);
    holds.awaiting->hold();
    return true;
  }

  // Pistache's keep-alive timer counts from when the request was handed over: after a long
  // wait it would close the connection soon after the answer, so past half of
  // keepalive_timeout the answer says Connection: close instead.
  static void ageKeepAlive(Exchange& ex, std::chrono::milliseconds keepaliveTimeout) {
    ex.keepAlive =
        ex.keepAlive && std::chrono::steady_clock::now() - ex.start < keepaliveTimeout / 2;
  }

  // Answers a request off the I/O thread with what `make` returns (a 500 if it throws).
  template <typename Make>
  static void finishLate(ResponseWriter& writer, Exchange& ex, const Holds& holds,
                         std::chrono::milliseconds keepaliveTimeout, Make make) {
    try {
      const Response answer = make();
      ageKeepAlive(ex, keepaliveTimeout);
      finish(writer, ex, answer, holds);
    } catch (const std::exception& e) {
      logging::get("api")->error("request failed error=\"{}\"", e.what());
      ex.keepAlive = false;
      finish(writer, ex, textResponse(500, "Internal Server Error"), holds);
    }
  }

  // GET /hosts?wait= found nothing new for the caller (`held`: its 304): the watch hub
  // holds the request, no thread waits for it. The hub's thread answers it when what the
  // caller may see changes (the page, 200), when the wait runs out (the 304) or at
  // shutdown (503); a client that closes the connection releases it (onDisconnection).
  bool holdWatch(ResponseWriter writer, Exchange ex, const Response& held) {
    Holds holds;
    const void* connection = nullptr;
    if (!holdConnection(writer, holds, &connection)) {
      return false;  // the client went away
    }
    auto shared = std::make_shared<ResponseWriter>(std::move(writer));
    const bool keepAlive = ex.keepAlive;
    WatchHub::Waiter w;
    w.user = held.user;
    w.connection = connection;
    w.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(held.watchSeconds);
    w.changed = [self = service_, user = held.user, since = held.watchSince] {
      return self->watchVersion(user) != since;
    };
    w.end = [self = service_, shared, ex, holds, held,
             keepaliveTimeout = keepaliveTimeout_](WatchHub::End how) mutable {
      if (how == WatchHub::End::kGone) {
        holds.release();
        return;
      }
      finishLate(*shared, ex, holds, keepaliveTimeout, [&] {
        return how == WatchHub::End::kChanged ? self->handle(withoutWait(ex.info), true)
               : how == WatchHub::End::kStopping
                   ? watchRefused(WatchHub::Hold::kStopping, held.client)
                   : held;
      });
    };
    const auto result = service_->watch().hold(std::move(w));
    if (result != WatchHub::Hold::kHeld) {
      holds.release();
      finish(*shared, ex, watchRefused(result, held.client));
    }
    return keepAlive;
  }

  // Answers on the slow-auth pool (a KDF check) or the writers' pool (a record write). Later
  // responses on this connection must not overtake this one, and Pistache must not time
  // the connection out while it waits (Awaiting).
  bool handOff(ResponseWriter writer, Exchange ex, const Response& r) {
    Holds holds;
    if (!holdConnection(writer, holds)) {
      return false;  // the client went away
    }
    auto shared = std::make_shared<ResponseWriter>(std::move(writer));
    const bool keepAlive = ex.keepAlive;
    SlowAuthPool& pool = r.needsSlowAuth ? *pool_ : *writers_;
    const bool posted = pool.post(
        r.slowAuthSource,
        [self = service_, shared, ex, holds, client = r.client,
         keepaliveTimeout = keepaliveTimeout_](bool run) mutable {
          finishLate(*shared, ex, holds, keepaliveTimeout, [&] {
            Response slow = run ? self->handle(ex.info, true) : busy(client);
            if (slow.watchSeconds > 0) {
              // A watch whose password check ran here: answered at once with the page
              // (the same version); the client's next watch finds the check cached and is
              // held.
              slow = self->handle(withoutWait(ex.info), true);
            }
            return slow;
          });
        },
        r.slowAuthSuspect);
    if (!posted) {
      holds.release();
      finish(*shared, ex, busy(r.client));
    }
    return keepAlive;
  }

  static bool toInfo(const Pistache::Http::Request& request, const std::string& target,
                     Exchange& ex) {
    RequestInfo& info = ex.info;
    info.methodName = Pistache::Http::methodString(request.method());
    info.method = methodOf(info.methodName);
    info.path = request.resource();
    ex.http10 = request.version() == Pistache::Http::Version::Http10;
    // One pass over the received headers: each tryGetRaw()/tryGet() would copy, lower-case
    // and hash its name again (about 7 % of a request's CPU in bench/run.sh's profile).
    std::optional<std::string> connection;
    for (const auto& [name, header] : request.headers().rawList()) {
      takeHeader(name, header.value(), info, connection);
    }
    ex.keepAlive = keepsAlive(connection, ex.http10);
    // From the target as sent: Pistache's query() keeps only the first of repeated fields.
    info.badQuery = !parseQuery(target, info.query);
    info.body = request.body();
    const auto peer = IpAddress::parse(request.address().host());
    if (!peer) {
      return false;
    }
    info.peer = *peer;
    return true;
  }

  // Logs the request and sends its answer. `holds`: set on the slow-auth pool (see
  // sendResponse); unset on the I/O thread.
  static void finish(ResponseWriter& writer, const Exchange& ex, const Response& given,
                     Holds holds = {}) {
    const RequestInfo& info = ex.info;
    const bool dyndns = isDyndnsPath(info.path);
    const Response& r = given.code >= 500 && dyndns ? dyndnsServerError(given) : given;
    // Log first: the response may leave at once (sendResponse), and a client's next request,
    // perhaps on another thread, must not be logged before this one.
    static const auto log = logging::get("api");
    if (log->should_log(spdlog::level::info)) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - ex.start)
                          .count();
      // A dyndns2 answer is a 200 whatever happened: log its codes (good, nochg, nohost,
      // badauth...), one per host in order, never the addresses that follow them.
      const std::string answers = dyndns ? dyndnsCodes(r.body) : std::string();
      log->info("request method={} path=\"{}\" status={}{}{} client={} user={} duration_us={}",
                sanitizeForLog(info.methodName), sanitizeForLog(info.path), r.code,
                answers.empty() ? "" : " dyndns=", answers,
                r.client.empty() ? info.peer.toString() : r.client,
                r.user.empty() ? "-" : sanitizeForLog(r.user), us);
    }
    const bool onIoThread = holds.held == nullptr;
    sendResponse(writer, r, info.method == Method::kHead, ex.keepAlive, ex.http10, onIoThread,
                 std::move(holds));
  }

  std::shared_ptr<ApiService> service_;
  std::shared_ptr<SlowAuthPool> pool_;
  std::shared_ptr<SlowAuthPool> writers_;
  std::chrono::milliseconds keepaliveTimeout_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace

ApiServer::ApiServer(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : config_(config),
      service_(std::make_shared<ApiService>(config, std::move(store))),
      pool_(std::make_shared<SlowAuthPool>(
          SlowAuthPool::Options{SlowAuthPool::defaultWorkers(), 256, 4, std::chrono::seconds(10)})),
      writers_(std::make_shared<SlowAuthPool>(
          SlowAuthPool::Options{16, 1024, 256, std::chrono::seconds(10)})),
      hooks_(std::make_shared<HookListener>(config)) {
  service_->setListener(hooks_);
}

ApiServer::~ApiServer() {
  shutdown();
}

void ApiServer::start() {
  using namespace Pistache;
  const bool v6 = config_.listenHost.find(':') != std::string::npos;
  const std::string host = config_.listenHost == "localhost" ? "127.0.0.1" : config_.listenHost;
  Address addr(v6 ? "[" + host + "]" : host, Port(config_.listenPort));
  endpoint_ = std::make_unique<Http::Endpoint>(addr);
  auto opts = Http::Endpoint::options()
                  .threads(config_.threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .maxRequestSize(config_.maxRequestSize)
                  .headerTimeout(config_.headerTimeout)
                  .bodyTimeout(config_.bodyTimeout)
                  .keepaliveTimeout(config_.keepaliveTimeout);
  endpoint_->init(opts);
  // Pistache 0.0.5 ignores Options::backlog() (upstream #1194): set it on the listener.
  endpoint_->initArgs(config_.threads, Flags<Tcp::Options>(Tcp::Options::ReuseAddr),
                      std::string("chipmunk-http"), 1024);
  if (!config_.tlsCertificate.empty()) {
    // After initArgs(): Listener::init() resets the TLS flag.
    endpoint_->useSSL(config_.tlsCertificate, config_.tlsKey);
  }
  endpoint_->setHandler(Http::make_handler<HttpHandler>(
      service_, pool_, writers_, std::chrono::milliseconds(config_.keepaliveTimeout)));
  endpoint_->serveThreaded();
  maintenance_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(maintenanceMutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        service_->expireRecords();
      } catch (const std::exception& e) {
        logging::get("api")->error("expiry check failed error=\"{}\"", e.what());
      }
      lock.lock();
      maintenanceCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  });
}

uint16_t ApiServer::port() const {
  return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : 0;
}

std::string ApiServer::boundAddress() const {
  const bool v6 = config_.listenHost.find(':') != std::string::npos;
  return (v6 ? "[" + config_.listenHost + "]" : config_.listenHost) + ":" + std::to_string(port());
}

void ApiServer::setPushListener(std::shared_ptr<RecordListener> push) {
  hooks_->setNext(std::move(push));
}

void ApiServer::reload(const config::ApiConfig& config, std::shared_ptr<const TokenTable> tokens) {
  service_->reload(config, std::move(tokens));
  hooks_->configure(config);
}

void ApiServer::shutdown() {
  {
    std::lock_guard<std::mutex> lock(maintenanceMutex_);
    stopping_ = true;
    maintenanceCv_.notify_all();
  }
  if (maintenance_.joinable()) {
    maintenance_.join();
  }
  if (service_) {
    service_->watch().stop();  // held watches get 503 now, not at their deadline
  }
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
  for (auto* pool : {&pool_, &writers_}) {
    if (*pool) {
      (*pool)->stop();
    }
  }
  if (hooks_) {
    hooks_->stop();  // runs the hooks already queued
  }
}

}  // namespace chipmunk::api
