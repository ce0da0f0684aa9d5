// SPDX-License-Identifier: MIT
// Long file: the Pistache glue is one handler class and the helpers only it uses.
// The Pistache glue of chipmunk-api: the endpoint, and the handler that reads each
// connection's requests (RequestReader) for ApiService and writes its Responses back.
#include "api/server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>

#include "api/dyndns2_reply.hpp"
#include "api/hooks.hpp"
#include "api/http_wire.hpp"
#include "api/http_writer.hpp"
#include "api/memory_trim.hpp"
#include "api/metrics.hpp"
#include "api/server_accept.hpp"
#include "api/server_parser.hpp"
#include "api/server_transport.hpp"
#include "api/slow_auth_pool.hpp"
#include "api/watch_hub.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {

namespace {

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

// On the connection's I/O thread, a response with nothing queued before it is written at
// once with send(2), or SSL_write on a TLS connection (Pistache reads it on this same
// thread; its context allows partial writes and a moved buffer for the retry, so what is
// left can go to its queue): Pistache's queue costs an eventfd write and read, an
// epoll_ctl and a wake-up per response, about a third of the CPU of a small request
// (docs/BENCHMARKS.md). True when all of `out` left; otherwise what is left of it stays in
// `out`, and `holds.held` counts it as outstanding. The last answer of a connection, all
// out, leaves the connection to the transport (ConnectionState::lastAnswerOut): it closes
// it at once or half-closes it.
bool sendAtOnce(Pistache::Tcp::Peer& peer, ConnectionState& conn, std::string& out, bool keepAlive,
                Holds& holds) {
  size_t written = 0;
  if (conn.outstanding.load() == 0) {
    ssize_t n = 0;
    if (peer.ssl() == nullptr) {
      n = ::send(peer.fd(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
      n = SSL_write(static_cast<SSL*>(peer.ssl()), out.data(), static_cast<int>(out.size()));
      if (n <= 0) {
        ERR_clear_error();  // would block, or failed: Pistache's write retries or reports it
      }
    }
    written = n > 0 ? static_cast<size_t>(n) : 0;  // on an error Pistache's write reports it
  }
  if (written == out.size()) {
    conn.lastAnswerOut = !keepAlive;
    conn.answered.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  holds.held = conn.shareOutstanding();
  holds.held->fetch_add(1);
  out.erase(0, written);
  return false;
}

// Off the I/O thread (an answer made on the writers' or the slow-auth pool), a keep-alive
// answer with nothing before it still to go (its own hold the only one in `outstanding`) is
// written at once with send(2) too, under the connection's send lock: the transport marks
// the connection gone under that lock before it shuts or closes its descriptor (forget),
// and lingers while an answer is outstanding, so the descriptor is this connection's
// while it is written. Saves the eventfd write, the I/O thread's wake-up and its epoll
// turn per answer (docs/BENCHMARKS.md, step 17). Not for TLS (SSL_write would race the
// I/O thread's SSL_read on the same SSL) nor for a connection's last answer (its close is
// the I/O thread's). True when all of `out` left, the holds given back; otherwise what is
// left of it stays in `out` for Pistache's queue, the holds kept for it.
bool sendOffThread(Pistache::Tcp::Peer& peer, ConnectionState& conn, std::string& out,
                   bool keepAlive, Holds& holds) {
  if (!keepAlive || peer.ssl() != nullptr || !holds.held || conn.outstanding.load() != 1) {
    return false;
  }
  // Idle before the bytes leave (as QueuedAnswer::finish marks it once they are out): once
  // they are, the client's next request may come, and the I/O thread marks the connection
  // busy for it; marked idle after, a watch held by that request could be timed out as an
  // idle connection. What is not sent now goes to Pistache's queue, whose `writing` count
  // keeps the idle timeout off meanwhile.
  if (holds.awaiting) {
    peer.setIdle(true);
  }
  const ssize_t n = ::send(peer.fd(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  const size_t written = n > 0 ? static_cast<size_t>(n) : 0;  // an error: Pistache reports it
  if (written < out.size()) {
    out.erase(0, written);
    return false;
  }
  conn.answered.fetch_add(1, std::memory_order_relaxed);
  holds.release();
  return true;
}

// An answer handed to Pistache's write queue: what it holds of its connection (see
// writeAnswer) is given back once, when the write resolves or fails, or when Pistache
// drops the write without either (its Deferred destroyed unresolved: EPIPE or ECONNRESET
// in asyncWriteImpl, removePeer) and with it the continuations that own this — else the
// half-close's descriptor, and the socket it keeps open, would leak.
class QueuedAnswer {
 public:
  QueuedAnswer(std::shared_ptr<ConnectionState> state, size_t size, int fd, Holds holds,
               const PeerPtr& peer)
      : state_(std::move(state)), size_(size), fd_(fd), holds_(std::move(holds)), peer_(peer) {}
  QueuedAnswer(const QueuedAnswer&) = delete;
  QueuedAnswer& operator=(const QueuedAnswer&) = delete;
  ~QueuedAnswer() { finish(false); }

  // `sent`: the bytes are out (then the half-close, and the keep-alive timer may run).
  void finish(bool sent) {
    if (done_) {
      return;
    }
    done_ = true;
    state_->written(size_);
    if (fd_ >= 0) {
      if (sent) {
        ::shutdown(fd_, SHUT_WR);
      }
      ::close(fd_);
    }
    if (sent && holds_.awaiting) {
      if (auto p = peer_.lock()) {
        p->setIdle(true);
      }
    }
    holds_.release();
  }

 private:
  std::shared_ptr<ConnectionState> state_;
  size_t size_;
  int fd_;
  Holds holds_;
  std::weak_ptr<Pistache::Tcp::Peer> peer_;
  bool done_ = false;
};

// Hands one answer's bytes to the socket (see sendResponse). `peer`: null when the client
// went away. `onIoThread`: on the connection's I/O thread (see sendAtOnce). `holds.held`
// (slow-auth pool): a count this response already holds in the connection's Outstanding;
// released once the bytes are out (an answer queued in Pistache takes one too).
// `holds.awaiting` (slow-auth pool): released, and the connection marked idle for
// Pistache's keep-alive timer, only once the bytes are out, so that the timer cannot drop
// an answer that is written but not sent.
void writeAnswer(const PeerPtr& peer, ConnectionState& conn, bool onIoThread, std::string& out,
                 bool keepAlive, Holds holds) {
  if (!peer || conn.gone) {
    holds.release();
    return;  // the client went away
  }
  if (!holds.awaiting) {
    peer->setIdle(true);
  }
  if (onIoThread && !holds.held && sendAtOnce(*peer, conn, out, keepAlive, holds)) {
    return;
  }
  if (!onIoThread && sendOffThread(*peer, conn, out, keepAlive, holds)) {
    return;
  }
  if (!holds.held) {
    holds.held = conn.shareOutstanding();
    holds.held->fetch_add(1);
  }
  // The half-close goes through a descriptor of its own: sent from a pool thread, the
  // answer may be out, the client gone and its descriptor number reused by a new
  // connection before .then() runs, and that one must not be shut down.
  const int fd = keepAlive ? -1 : ::fcntl(peer->fd(), F_DUPFD_CLOEXEC, 0);
  const size_t size = out.size();
  conn.queued(size);
  auto queued =
      std::make_shared<QueuedAnswer>(conn.shared_from_this(), size, fd, std::move(holds), peer);
  peer->send(Pistache::RawBuffer(std::move(out), size))
      .then([queued](ssize_t) { queued->finish(true); },
            [queued](std::exception_ptr) { queued->finish(false); });
}

// Writes the response ourselves (see ApiServer) and, when the connection is not to be
// kept, half-closes it once the bytes are out so that clients reading to EOF finish.
// Answers leave in the order their requests came (RFC 9112 section 9.3.2), whichever
// thread made them: `seq` is the request's number on its connection; an answer whose turn
// has not come is parked, and handed to the socket (through Pistache's queue) right after
// the one before it. See writeAnswer for the other arguments.
void sendResponse(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn, uint64_t seq,
                  bool onIoThread, const Response& r, bool head, bool keepAlive, bool http10,
                  Holds holds = {}) {
  std::string out = formatResponse(r, head, keepAlive, http10);
  std::lock_guard<std::mutex> lock(conn->sendMutex);
  if (seq != conn->nextToSend) {
    conn->queuedBytes.fetch_add(out.size());  // until writeAnswer hands it on
    conn->parked.emplace(seq, [weak = std::weak_ptr<Pistache::Tcp::Peer>(peer),
                               out = std::move(out), keepAlive, holds](ConnectionState& c) mutable {
      c.queuedBytes.fetch_sub(out.size());
      writeAnswer(weak.lock(), c, false, out, keepAlive, holds);
    });
    return;
  }
  writeAnswer(peer, *conn, onIoThread, out, keepAlive, std::move(holds));
  for (auto next = conn->parked.find(++conn->nextToSend); next != conn->parked.end();
       next = conn->parked.find(++conn->nextToSend)) {
    auto write = std::move(next->second);
    conn->parked.erase(next);
    write(*conn);
  }
}

// The slow-auth pool is full, or the check waited too long for its turn: nothing was
// done, try again shortly.
Response busy(const Response& asked, ApiMetrics& metrics) {
  metrics.countBusy();
  Response r = textResponse(503, "Server busy");
  r.client = asked.client;
  r.route = asked.route;
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

// A request read off a connection, and what the request log needs besides.
struct Exchange : ParsedRequest {
  ApiMetrics* metrics = nullptr;                // the service's (it outlives every exchange)
  std::chrono::steady_clock::time_point start;  // when it was read whole
  uint64_t seq = 0;                             // its number on the connection (see sendResponse)
};

class HttpHandler final : public ConnectionHandler {
 public:
  PROTOTYPE_OF(Pistache::Tcp::Handler, HttpHandler)

  HttpHandler(std::shared_ptr<ApiService> service, std::shared_ptr<SlowAuthPool> pool,
              std::shared_ptr<SlowAuthPool> writers, size_t maxRequestSize,
              std::chrono::milliseconds keepaliveTimeout)
      : service_(std::move(service)),
        pool_(std::move(pool)),
        writers_(std::move(writers)),
        maxRequestSize_(maxRequestSize),
        keepaliveTimeout_(keepaliveTimeout),
        log_(logging::get("api")) {}

  // ConnectionHandler: the peer's address read once, in binary.
  std::shared_ptr<ConnectionState> open(const PeerPtr& /*peer*/,
                                        std::optional<IpAddress> address) override {
    return std::make_shared<ConnectionState>(maxRequestSize_, address);
  }

  // ConnectionHandler: the connection's requests are read by our RequestReader and served
  // in order. A refused request is answered with "Connection: close", the connection
  // half-closed, and nothing it sends afterwards is read, as after any response that
  // closes the connection.
  void serveInput(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& shared) override {
    auto& conn = *shared;
    for (;;) {
      if (conn.full()) {
        conn.paused = true;  // the transport reads on once answers drained (ConnectionState)
        return;
      }
      Exchange ex;
      const int got = conn.reader.next(ex);
      if (got == RequestReader::kAgain) {
        return;
      }
      if (got != RequestReader::kReady) {
        conn.closed = true;
        refuse(peer, shared, got);
        conn.since = std::chrono::steady_clock::now();
        return;
      }
      ex.start = std::chrono::steady_clock::now();
      ex.seq = conn.nextSeq++;
      conn.since = ex.start;
      peer->setIdle(false);
      if (!serve(peer, shared, ex)) {
        conn.closed = true;
        return;
      }
    }
  }

  // ConnectionHandler: a held watch of this connection is not answered any more.
  void closed(const PeerPtr& peer) override { service_->watch().dropConnection(peer.get()); }

  // ConnectionHandler: a connection stopped or started being read for its bounds.
  void paused(bool on) override { service_->metrics().countPause(on); }

 private:
  // A request refused before it was parsed: logged without any of its bytes.
  void refuse(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn, int status) {
    log_->info("request refused status={} client={}", status,
               conn->peer ? conn->peer->toString() : std::string("-"));
    service_->metrics().countRequest(kRouteUnparsed, status);
    sendResponse(peer, conn, conn->nextSeq++, true, textResponse(status, reasonPhrase(status)),
                 false, false, false);
  }

  // Answers one request. Returns whether the connection stays open for another request.
  bool serve(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn, Exchange& ex) {
    ex.metrics = &service_->metrics();
    try {
      if (!conn->peer) {
        ex.keepAlive = false;
        finish(peer, conn, true, ex, textResponse(400, "Bad Request"));
        return false;
      }
      ex.info.peer = *conn->peer;
      Response r = service_->handle(ex.info, false, &conn->authMemo);
      if (r.watchSeconds > 0) {
        return holdWatch(peer, conn, std::move(ex), r);
      }
      if (!r.needsSlowAuth && !r.needsWriter) {
        finish(peer, conn, true, ex, r);
        return ex.keepAlive;
      }
      return handOff(peer, conn, std::move(ex), r);
    } catch (const std::exception& e) {
      // Never echo internals to a client.
      log_->error("request failed error=\"{}\"", e.what());
      ex.keepAlive = false;
      finish(peer, conn, true, ex, textResponse(500, "Internal Server Error"));
      return false;
    }
  }

  // What a request answered off the I/O thread holds of its connection (see Holds): later
  // responses queue behind it, the transport's timers leave the connection alone.
  static Holds holdConnection(ConnectionState& conn) {
    Holds holds{conn.shareOutstanding(), conn.shareAwaiting()};
    holds.held->fetch_add(1);
    holds.awaiting->hold();
    return holds;
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
  static void finishLate(const std::weak_ptr<Pistache::Tcp::Peer>& peer,
                         const std::shared_ptr<ConnectionState>& conn, Exchange& ex,
                         const Holds& holds, std::chrono::milliseconds keepaliveTimeout,
                         Make make) {
    try {
      const Response answer = make();
      ageKeepAlive(ex, keepaliveTimeout);
      finish(peer.lock(), conn, false, ex, answer, holds);
    } catch (const std::exception& e) {
      logging::get("api")->error("request failed error=\"{}\"", e.what());
      ex.keepAlive = false;
      finish(peer.lock(), conn, false, ex, textResponse(500, "Internal Server Error"), holds);
    }
  }

  // GET /hosts?wait= found nothing new for the caller (`held`: its 304): the watch hub
  // holds the request, no thread waits for it. The hub's thread answers it when what the
  // caller may see changes (the page, 200), when the wait runs out (the 304) or at
  // shutdown (503); a client that closes the connection releases it (onDisconnection).
  bool holdWatch(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn, Exchange ex,
                 const Response& held) {
    const Holds holds = holdConnection(*conn);
    const bool keepAlive = ex.keepAlive;
    WatchHub::Waiter w;
    w.user = held.user;
    w.connection = peer.get();
    w.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(held.watchSeconds);
    w.changed = [self = service_, user = held.user, since = held.watchSince] {
      return self->watchVersion(user) != since;
    };
    w.end = [self = service_, weak = std::weak_ptr<Pistache::Tcp::Peer>(peer), conn, ex, holds,
             held, keepaliveTimeout = keepaliveTimeout_](WatchHub::End how) mutable {
      if (how == WatchHub::End::kGone) {
        holds.release();
        return;
      }
      finishLate(weak, conn, ex, holds, keepaliveTimeout, [&] {
        return how == WatchHub::End::kChanged ? self->handle(withoutWait(ex.info), true)
               : how == WatchHub::End::kStopping
                   ? watchRefused(WatchHub::Hold::kStopping, held.client)
                   : held;
      });
    };
    const auto result = service_->watch().hold(std::move(w));
    if (result != WatchHub::Hold::kHeld) {
      holds.release();
      finish(peer, conn, true, ex, watchRefused(result, held.client));
    }
    return keepAlive;
  }

  // Answers on the slow-auth pool (a KDF check) or the writers' pool (a record write). Later
  // responses on this connection must not overtake this one, and Pistache must not time
  // the connection out while it waits (Awaiting).
  bool handOff(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn, Exchange ex,
               const Response& r) {
    const Holds holds = holdConnection(*conn);
    const bool keepAlive = ex.keepAlive;
    SlowAuthPool& pool = r.needsSlowAuth ? *pool_ : *writers_;
    const bool posted = pool.post(
        r.slowAuthSource,
        [self = service_, weak = std::weak_ptr<Pistache::Tcp::Peer>(peer), conn, ex, holds,
         asked = r, keepaliveTimeout = keepaliveTimeout_](bool run) mutable {
          finishLate(weak, conn, ex, holds, keepaliveTimeout, [&] {
            Response slow = run ? self->handle(ex.info, true) : busy(asked, self->metrics());
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
      finish(peer, conn, true, ex, busy(r, service_->metrics()));
    }
    return keepAlive;
  }

  // Logs the request and sends its answer (see sendResponse). `onIoThread`: called on the
  // connection's I/O thread; `holds`: set off the I/O thread.
  static void finish(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn,
                     bool onIoThread, const Exchange& ex, const Response& given, Holds holds = {}) {
    const RequestInfo& info = ex.info;
    const bool dyndns = isDyndnsPath(info.path);
    // Not a conditional expression: one of a temporary and `given` would copy `given`.
    std::optional<Response> replaced;
    if (given.code >= 500 && dyndns) {
      replaced = dyndnsServerError(given);
    }
    const Response& r = replaced ? *replaced : given;
    if (ex.metrics != nullptr) {
      ex.metrics->countRequest(r.route, r.code);
    }
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
    sendResponse(peer, conn, ex.seq, onIoThread, r, info.method == Method::kHead, ex.keepAlive,
                 ex.http10, std::move(holds));
  }

  std::shared_ptr<ApiService> service_;
  std::shared_ptr<SlowAuthPool> pool_;
  std::shared_ptr<SlowAuthPool> writers_;
  size_t maxRequestSize_;
  std::chrono::milliseconds keepaliveTimeout_;
  std::shared_ptr<spdlog::logger> log_;
};

// Threads that write records. With PostgreSQL a writer blocked on a commit holds no
// connection of its own: the store combines concurrent writers' changes into one statement
// (api/pg_store_batch.hpp), so more writers make fuller batches, not more connections.
size_t writerThreads(const config::ApiConfig& config) {
  return config.storeBackend == config::StoreBackend::kPostgresql ? 64 : 16;
}

}  // namespace

ApiServer::ApiServer(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : config_(config),
      service_(std::make_shared<ApiService>(config, std::move(store))),
      pool_(std::make_shared<SlowAuthPool>(
          SlowAuthPool::Options{SlowAuthPool::defaultWorkers(), 256, 4, std::chrono::seconds(10)})),
      writers_(std::make_shared<SlowAuthPool>(
          SlowAuthPool::Options{writerThreads(config), 1024, 256, std::chrono::seconds(10)})),
      hooks_(std::make_shared<HookListener>(config)) {
  service_->setListener(hooks_);
}

ApiServer::~ApiServer() {
  shutdown();
}

void ApiServer::start() {
  const std::string host = config_.listenHost == "localhost" ? "127.0.0.1" : config_.listenHost;
  auto handler = std::make_shared<HttpHandler>(service_, pool_, writers_, config_.maxRequestSize,
                                               std::chrono::milliseconds(config_.keepaliveTimeout));
  const ConnectionTransport::Timeouts timeouts{config_.headerTimeout, config_.bodyTimeout,
                                               config_.keepaliveTimeout};
  constexpr int kBacklog = 1024;
  // Pistache's reactor and our transports, which accept on their I/O threads and make the
  // TLS handshakes there (api/server_accept.hpp); Pistache's Listener is not used.
  accepting_ =
      std::make_unique<AcceptingServer>(host, config_.listenPort, config_.threads, kBacklog);
  if (!config_.tlsCertificate.empty()) {
    accepting_->useTls(config_.tlsCertificate, config_.tlsKey);
  }
  accepting_->start(std::make_shared<ConnectionTransport>(handler, timeouts));
  maintenance_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(maintenanceMutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        service_->expireRecords();
        trimMemoryIfRequested(std::chrono::steady_clock::now());
      } catch (const std::exception& e) {
        logging::get("api")->error("expiry check failed error=\"{}\"", e.what());
      }
      lock.lock();
      maintenanceCv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  });
}

uint16_t ApiServer::port() const {
  return accepting_ ? accepting_->port() : 0;
}

std::string ApiServer::boundAddress() const {
  const bool v6 = config_.listenHost.find(':') != std::string::npos;
  return (v6 ? "[" + config_.listenHost + "]" : config_.listenHost) + ":" + std::to_string(port());
}

void ApiServer::setPushListener(std::shared_ptr<RecordListener> push) {
  hooks_->setNext(std::move(push));
}

void ApiServer::reload(const config::ApiConfig& config, std::shared_ptr<const TokenTable> tokens,
                       std::shared_ptr<DirectoryCache> directory) {
  service_->reload(config, std::move(tokens), std::move(directory));
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
  // The pools first, while the I/O threads still run: what they are answering (or answer
  // 503, stopping) is handed to live transports. Stopped after the reactor, a pool thread
  // holding a peer could send through a transport already destroyed.
  for (auto* pool : {&pool_, &writers_}) {
    if (*pool) {
      (*pool)->stop();
    }
  }
  if (accepting_) {
    accepting_->shutdown();
    accepting_.reset();
  }
  if (hooks_) {
    hooks_->stop();  // runs the hooks already queued
  }
}

}  // namespace chipmunk::api
