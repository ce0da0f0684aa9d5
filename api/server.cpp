// SPDX-License-Identifier: MIT
#include "api/server.hpp"

#include <strings.h>
#include <sys/socket.h>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "api/client_ip.hpp"
#include "api/hooks.hpp"
#include "api/http_framing.hpp"
#include "api/slow_auth_pool.hpp"
#include "common/logging.hpp"
#include "providers/dyndns2_codes.hpp"

namespace chipmunk::api {

using Pistache::Http::ResponseWriter;

namespace {

// "Date: Tue, 24 Nov 2026 22:06:22 GMT\r\n", formatted once per second per thread.
const std::string& dateHeader() {
  thread_local std::time_t last = 0;
  thread_local std::string header;
  const std::time_t now = std::time(nullptr);
  if (now != last) {
    last = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    header = buf;
  }
  return header;
}

// Printable ASCII only: no line breaks or quotes that would forge log fields, and no bytes
// of other encodings (invalid UTF-8, bidi overrides) that make a log line read differently
// from what it holds.
std::string sanitizeForLog(const std::string& text) {
  std::string out;
  for (const char c : text.substr(0, 200)) {
    const auto b = static_cast<unsigned char>(c);
    out += (b < 0x21 || b > 0x7e || c == '"') ? '?' : c;
  }
  return out;
}

}  // namespace

// Turns record changes and expiries into hook runs, then tells the gateway-mode pusher.
class HookListener final : public RecordListener {
 public:
  explicit HookListener(const config::ApiConfig& config) { configure(config); }
  ~HookListener() override { runner_.stop(); }

  void configure(const config::ApiConfig& config) {
    std::lock_guard<std::mutex> lock(mutex_);
    onChange_ = config.onChange;
    onExpire_ = config.onExpire;
    timeout_ = config.hookTimeout;
  }
  void stop() { runner_.stop(); }
  void setNext(std::shared_ptr<RecordListener> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    next_ = std::move(next);
  }

  // RecordListener
  void recordChanged(const std::string& owner, const HostRecord& before,
                     const HostRecord& after) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!onChange_.empty()) {
      // Coalesced per record: a flapping record neither fills the queue nor delays other
      // records' hooks, and its latest address still reaches the hook.
      runner_.run(after.name, onChange_, environment("change", owner, before, &after), timeout_,
                  true);
    }
    if (next_) {
      next_->recordChanged(owner, before, after);
    }
  }
  void recordExpired(const std::string& owner, const HostRecord& record) override {
    std::lock_guard<std::mutex> lock(mutex_);
    logging::get("api")->info("record expired name={} owner={}", record.name, owner);
    if (!onExpire_.empty()) {
      runner_.run(record.name, onExpire_, environment("expire", owner, record, nullptr), timeout_,
                  false);
    }
    if (next_) {
      next_->recordExpired(owner, record);
    }
  }

 private:
  static std::map<std::string, std::string> environment(const char* event, const std::string& owner,
                                                        const HostRecord& before,
                                                        const HostRecord* after) {
    auto text = [](const std::optional<IpAddress>& ip, bool expired) {
      return ip && !expired ? ip->toString() : std::string();
    };
    return {
        {"CHIPMUNK_EVENT", event},
        {"CHIPMUNK_USER", owner},
        {"CHIPMUNK_HOST", before.name},
        {"CHIPMUNK_OLD_IP", text(before.ip, before.expired)},
        {"CHIPMUNK_OLD_IPV4", text(before.ipv4, before.expired)},
        {"CHIPMUNK_OLD_IPV6", text(before.ipv6, before.expired)},
        {"CHIPMUNK_NEW_IP", after ? text(after->ip, false) : ""},
        {"CHIPMUNK_NEW_IPV4", after ? text(after->ipv4, false) : ""},
        {"CHIPMUNK_NEW_IPV6", after ? text(after->ipv6, false) : ""},
        {"CHIPMUNK_TTL", std::to_string(after ? after->ttl : before.ttl)},
    };
  }

  std::mutex mutex_;
  std::string onChange_;
  std::string onExpire_;
  std::chrono::seconds timeout_{10};
  std::shared_ptr<RecordListener> next_;
  HookRunner runner_;
};

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

// A connection's requests handed to the slow-auth pool whose answer is not written yet.
// Pistache 0.0.5 times a connection out with 408 when it is not idle and its parser has
// been at the request line for longer than header_timeout (endpoint.cc, checkIdlePeers),
// and a request waiting for its password check is exactly that: its headers arrived long
// ago. While a count is held here, the connection's parser steps report an id Pistache
// does not time (GuardedStep::id), so a complete request is always answered with what
// was done. The wait itself is bounded by the pool (SlowAuthPool::Options::maxWait), and
// kMaxAwait is a backstop after which Pistache's timers apply again.
struct Awaiting {
  static constexpr std::chrono::seconds kMaxAwait{120};
  std::atomic<int> count{0};
  std::atomic<int64_t> sinceMs{0};  // steady clock, when the count last went up from 0

  static int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void hold() {
    if (count.fetch_add(1) == 0) {
      sinceMs.store(nowMs());
    }
  }
  void release() { count.fetch_sub(1); }
  bool busy() const {
    return count.load() > 0 &&
           nowMs() - sinceMs.load() <
               std::chrono::duration_cast<std::chrono::milliseconds>(kMaxAwait).count();
  }
};

// Writes the response ourselves (see ApiServer) and, when the connection is not to be
// kept, half-closes it once the bytes are out so that clients reading to EOF finish.
// `held`: a count this response already holds in the connection's Outstanding (slow-auth
// pool); released once the bytes are out. `awaiting` (slow-auth pool): released, and the
// connection marked idle for Pistache's keep-alive timer, only once the bytes are out, so
// that the timer cannot drop an answer that is written but not sent. `onIoThread`: called on the
// connection's I/O thread, where a plain-TCP response with nothing queued before it is written at
// once with send(2): Pistache's queue costs an eventfd write and read, an epoll_ctl and a wake-up
// per response, about a third of the CPU of a small request (docs/BENCHMARKS.md).
void sendResponse(ResponseWriter& writer, const Response& r, bool head, bool keepAlive, bool http10,
                  bool onIoThread, std::shared_ptr<Outstanding> held,
                  std::shared_ptr<Awaiting> awaiting = nullptr) {
  std::string out;
  out.reserve(256 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.code);
  out += ' ';
  out += reasonPhrase(r.code);
  out += "\r\n";
  out += dateHeader();
  if (!r.contentType.empty()) {
    out += "Content-Type: ";
    out += r.contentType;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  if (!keepAlive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += r.extraHeaders;
  out += "\r\n";
  if (!head) {
    out += r.body;
  }
  std::shared_ptr<Pistache::Tcp::Peer> peer;
  try {
    peer = writer.peer();
  } catch (const std::exception&) {
    if (held) {
      held->fetch_sub(1);
    }
    if (awaiting) {
      awaiting->release();
    }
    return;  // the client went away
  }
  if (!awaiting) {
    peer->setIdle(true);
  }
  const int fd = peer->fd();
  size_t written = 0;
  if (onIoThread && !held && peer->ssl() == nullptr) {
    held = outstandingOf(*peer);
    if (held->load() == 0) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      written = n > 0 ? static_cast<size_t>(n) : 0;  // on an error Pistache's write reports it
    }
    if (written == out.size()) {
      if (!keepAlive) {
        ::shutdown(fd, SHUT_WR);
      }
      return;
    }
    held->fetch_add(1);
    out.erase(0, written);
  }
  const size_t size = out.size();
  auto sent = peer->send(Pistache::RawBuffer(std::move(out), size));
  std::weak_ptr<Pistache::Tcp::Peer> weakPeer = peer;
  sent.then(
      [fd, keepAlive, held, awaiting, weakPeer](ssize_t) {
        if (!keepAlive) {
          ::shutdown(fd, SHUT_WR);
        }
        if (held) {
          held->fetch_sub(1);
        }
        if (awaiting) {
          if (auto p = weakPeer.lock()) {
            p->setIdle(true);
          }
          awaiting->release();
        }
      },
      [held, awaiting](std::exception_ptr) {
        if (held) {
          held->fetch_sub(1);
        }
        if (awaiting) {
          awaiting->release();
        }
      });
}

class GuardedRequestParser;

// Pistache 0.0.5's request parser answers an exception from a header's parser (a Host
// port, Date or Content-Length it cannot read) with a 500 whose body is e.what(), and
// reserves whatever body size Content-Length claims before reading a byte of it (a huge
// value: bad_alloc, a 500, or an abort under ASan). Every connection gets this parser
// instead: each step is wrapped so that parse errors are a 400 with a fixed text, and
// before the request line is parsed the complete head must have passed checkRequestHead()
// (http_framing.hpp: ambiguous framing is a 400, a Transfer-Encoding 411) and a
// Content-Length larger than max_request_size is a 413, before the body step runs.
class GuardedStep final : public Pistache::Http::Private::Step {
 public:
  GuardedStep(Pistache::Http::Message* message, std::unique_ptr<Step> inner,
              GuardedRequestParser* parser, std::shared_ptr<const Awaiting> awaiting)
      : Step(message), inner_(std::move(inner)), parser_(parser), awaiting_(std::move(awaiting)) {}

  // An id that Pistache's idle check does not time (see Awaiting).
  static constexpr Pistache::Http::Private::StepId kAwaitingId = 0x63686970;  // "chip"

  // Pistache::Http::Private::Step
  Pistache::Http::Private::StepId id() const override {
    return awaiting_ && awaiting_->busy() ? kAwaitingId : inner_->id();
  }
  Pistache::Http::Private::State apply(Pistache::StreamCursor& cursor) override;

 private:
  // Pistache keeps the first line of a repeated header and drops the others; a forwarding
  // header's value is all of its lines, in order (see joinHeaderLines).
  void joinForwardingHeaders(std::string_view block) const {
    static constexpr const char* kNames[] = {"X-Forwarded-For", "X-Real-IP", "Forwarded"};
    std::optional<std::string> joined[std::size(kNames)];
    joinHeaderLines(block, {kNames[0], kNames[1], kNames[2]}, joined);  // one pass for all
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (!joined[i]) {
        continue;
      }
      auto& headers = message->headers();
      headers.remove(kNames[i]);  // the one raw entry Pistache kept (the first line)
      headers.addRaw(Pistache::Http::Header::Raw(kNames[i], std::move(*joined[i])));
    }
  }

  std::unique_ptr<Step> inner_;
  GuardedRequestParser* parser_;
  std::shared_ptr<const Awaiting> awaiting_;
};

// One per connection: Pistache's request parser with guarded steps, and the raw-byte
// checks of http_framing.hpp run on each read before Pistache sees it.
class GuardedRequestParser final : public Pistache::Http::RequestParser {
 public:
  GuardedRequestParser(size_t maxSize, const std::shared_ptr<const Awaiting>& awaiting)
      : ParserImpl(maxSize), maxSize_(maxSize) {
    for (auto& step : allSteps) {
      step = std::make_unique<GuardedStep>(&request, std::move(step), this, awaiting);
    }
  }

  // Pistache::Http::Private::ParserBase
  void reset() override {
    ParserImpl::reset();
    scanner_.reset();
    target_.clear();
  }

  // Takes the connection's next bytes: 0, or the status to refuse the request with (a bare
  // CR or LF: 400; over max_request_size: 414, 431 or 413 by where the limit was hit).
  int take(const char* data, size_t size) {
    scanner_.scan(data, size);
    if (scanner_.bad()) {
      return 400;
    }
    return feed(data, size) ? 0 : oversizeStatus(scanner_, maxSize_);
  }

  const HeadScanner& scanner() const { return scanner_; }
  size_t maxSize() const { return maxSize_; }
  // The request-target as sent, with its query (Pistache keeps the first of repeated query
  // fields only); set once the head has been checked.
  const std::string& target() const { return target_; }
  void setTarget(std::string_view target) { target_ = target; }

  // Set once a response said "Connection: close" (or refused the request): whatever the
  // client sends after it is never read as a request.
  bool closed = false;

 private:
  size_t maxSize_;
  HeadScanner scanner_;
  std::string target_;
};

Pistache::Http::Private::State GuardedStep::apply(Pistache::StreamCursor& cursor) {
  using Pistache::Http::Code;
  using Pistache::Http::HttpError;
  if (inner_->id() == Pistache::Http::Private::RequestLineStep::Id) {
    // Pistache reads a head line by line as it arrives; it sees none of it before the whole
    // head is here and has been checked.
    const size_t headEnd = parser_->scanner().headEnd();
    if (headEnd == HeadScanner::npos || cursor.remaining() < headEnd) {
      return Pistache::Http::Private::State::Again;
    }
    RequestHead head;
    if (const int status = checkRequestHead(std::string_view(cursor.offset(), headEnd), head)) {
      throw HttpError(status, reasonPhrase(status));
    }
    // RFC 9110 section 9.1: a method the server does not know is 501 (Pistache: 400).
    static constexpr std::string_view kKnown[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                  "PATCH", "OPTIONS", "TRACE", "CONNECT"};
    if (std::find(std::begin(kKnown), std::end(kKnown), head.method) == std::end(kKnown)) {
      throw HttpError(Code::Not_Implemented, "Not Implemented");
    }
    if (head.contentLength && *head.contentLength > parser_->maxSize()) {
      throw HttpError(Code::Request_Entity_Too_Large, "Payload Too Large");
    }
    parser_->setTarget(head.target);
  }
  try {
    const size_t start = cursor;
    const auto state = inner_->apply(cursor);
    if (inner_->id() == Pistache::Http::Private::HeadersStep::Id &&
        state == Pistache::Http::Private::State::Next) {
      joinForwardingHeaders(std::string_view(cursor.offset(start), cursor.diff(start)));
    }
    return state;
  } catch (const HttpError& e) {
    switch (e.code()) {
      case 413:
        throw HttpError(Code::Request_Entity_Too_Large, "Payload Too Large");
      default:
        throw HttpError(Code::Bad_Request, "Bad Request");
    }
  } catch (const std::exception&) {
    throw HttpError(Code::Bad_Request, "Bad Request");
  }
}

const std::string kAwaitingKey = "chipmunk.awaiting";

class HttpHandler final : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)

  HttpHandler(std::shared_ptr<ApiService> service, std::shared_ptr<SlowAuthPool> pool,
              std::chrono::milliseconds keepaliveTimeout)
      : service_(std::move(service)),
        pool_(std::move(pool)),
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
    Response r;
    r.code = status;
    r.contentType = "text/plain; charset=utf-8";
    r.body = reasonPhrase(status);
    ResponseWriter writer(Pistache::Http::Version::Http11, transport(), this, peer);
    sendResponse(writer, r, false, false, false, true, nullptr);
  }

  // Answers one request; `target`: the request-target as sent. Returns whether the
  // connection stays open for another request.
  bool serve(const Pistache::Http::Request& request, const std::string& target,
             ResponseWriter writer) {
    const auto start = std::chrono::steady_clock::now();
    RequestInfo info;
    bool keepAlive = true;
    bool http10 = false;
    try {
      if (!toInfo(request, target, info, keepAlive, http10)) {
        Response bad;
        bad.code = 400;
        bad.contentType = "text/plain; charset=utf-8";
        bad.body = "Bad Request";
        finish(writer, info, bad, false, http10, start);
        return false;
      }
      Response r = service_->handle(info, false);
      if (!r.needsSlowAuth) {
        finish(writer, info, r, keepAlive, http10, start);
        return keepAlive;
      }
      // Later responses on this connection must not overtake this one, and Pistache must
      // not time the connection out while its check waits (Awaiting).
      std::shared_ptr<Outstanding> held;
      std::shared_ptr<Awaiting> awaiting;
      try {
        const auto peer = writer.peer();
        held = outstandingOf(*peer);
        awaiting = std::static_pointer_cast<Awaiting>(peer->getData(kAwaitingKey));
      } catch (const std::exception&) {
        return false;  // the client went away
      }
      held->fetch_add(1);
      awaiting->hold();
      auto shared = std::make_shared<ResponseWriter>(std::move(writer));
      auto self = service_;
      auto log = log_;
      const bool posted = pool_->post(
          r.slowAuthSource,
          [self, log, shared, info, keepAlive, http10, start, held, awaiting, client = r.client,
           keepaliveTimeout = keepaliveTimeout_](bool run) {
            try {
              Response slow = run ? self->handle(info, true) : busy(client);
              // Pistache's keep-alive timer counts from when the request was handed over:
              // after a long wait it would close the connection soon after the answer, so
              // past half of keepalive_timeout the answer says Connection: close instead.
              const bool keep =
                  keepAlive && std::chrono::steady_clock::now() - start < keepaliveTimeout / 2;
              finish(*shared, info, slow, keep, http10, start, held, awaiting);
            } catch (const std::exception& e) {
              log->error("request failed error=\"{}\"", e.what());
              finish(*shared, info, internalError(), false, http10, start, held, awaiting);
            }
          },
          r.slowAuthSuspect);
      if (!posted) {
        held->fetch_sub(1);
        awaiting->release();
        finish(*shared, info, busy(r.client), keepAlive, http10, start);
      }
      return keepAlive;
    } catch (const std::exception& e) {
      // Never echo internals to a client (Pistache would put e.what() in the body).
      log_->error("request failed error=\"{}\"", e.what());
      finish(writer, info, internalError(), false, http10, start);
      return false;
    }
  }

  static Response internalError() {
    Response r;
    r.code = 500;
    r.contentType = "text/plain; charset=utf-8";
    r.body = "Internal Server Error";
    return r;
  }

  // The slow-auth pool is full, or the check waited too long for its turn: nothing was
  // done, try again shortly.
  static Response busy(const std::string& client) {
    Response r;
    r.client = client;
    r.code = 503;
    r.contentType = "text/plain; charset=utf-8";
    r.body = "Server busy";
    r.extraHeaders = "Retry-After: 1\r\n";
    return r;
  }

  static bool isDyndnsPath(const std::string& path) {
    return path == "/nic/update" || path == "/v3/update";
  }

  // The answer codes of a dyndns2 body, comma-separated ("good,nohost"): the first word of
  // every line, when every one is a dyndns2 code; empty for any other body (a 403 or 405
  // text). Never the addresses after the codes; bounded, so the line stays short.
  static std::string dyndnsCodes(const std::string& body) {
    constexpr size_t kMaxCodes = 20;
    std::string codes;
    size_t count = 0;
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) {
        end = body.size();
      }
      const size_t space = body.find(' ', start);
      const std::string word = body.substr(start, std::min(end, space) - start);
      start = end + 1;
      if (word.empty()) {
        continue;
      }
      bool known = false;
      for (const std::string_view code : dyndns2::kAllCodes) {
        known = known || word == code;
      }
      if (!known) {
        return std::string();
      }
      if (++count <= kMaxCodes) {
        codes += (codes.empty() ? "" : ",") + word;
      } else if (count == kMaxCodes + 1) {
        codes += ",...";
      }
    }
    return codes;
  }

  // dyndns2 clients read a 5xx body as return codes: it says 911 (try later), never
  // something a client could take for success.
  static Response dyndnsServerError(Response r) {
    if (r.body.rfind(dyndns2::k911, 0) != 0) {
      r.body = dyndns2::line(dyndns2::k911);
      r.contentType = "text/plain; charset=utf-8";
    }
    return r;
  }

  static bool toInfo(const Pistache::Http::Request& request, const std::string& target,
                     RequestInfo& info, bool& keepAlive, bool& http10) {
    using Pistache::Http::Method;
    switch (request.method()) {
      case Method::Get:
        info.method = chipmunk::api::Method::kGet;
        break;
      case Method::Head:
        info.method = chipmunk::api::Method::kHead;
        break;
      case Method::Post:
        info.method = chipmunk::api::Method::kPost;
        break;
      default:
        info.method = chipmunk::api::Method::kOther;
        break;
    }
    info.methodName = Pistache::Http::methodString(request.method());
    info.path = request.resource();
    http10 = request.version() == Pistache::Http::Version::Http10;
    // One pass over the received headers: each tryGetRaw()/tryGet() would copy, lower-case
    // and hash its name again (about 7 % of a request's CPU in bench/run.sh's profile).
    std::optional<std::string> connection;
    for (const auto& [name, header] : request.headers().rawList()) {
      if (strcasecmp(name.c_str(), "Authorization") == 0) {
        info.authorization = header.value();
      } else if (strcasecmp(name.c_str(), "Connection") == 0) {
        connection = header.value();
      } else if (strcasecmp(name.c_str(), "Content-Type") == 0) {
        info.contentType = header.value();
      } else if (strcasecmp(name.c_str(), "User-Agent") == 0) {
        info.userAgent = header.value();
      } else if (strcasecmp(name.c_str(), "X-Forwarded-For") == 0) {
        info.xForwardedFor = header.value();
      } else if (strcasecmp(name.c_str(), "X-Real-IP") == 0) {
        info.xRealIp = header.value();
      } else if (strcasecmp(name.c_str(), "Forwarded") == 0) {
        info.forwarded = header.value();
      } else if (strcasecmp(name.c_str(), "Host") == 0) {
        info.host = header.value();
      } else if (strcasecmp(name.c_str(), "Origin") == 0) {
        info.origin = header.value();
      } else if (strcasecmp(name.c_str(), "Sec-Fetch-Site") == 0) {
        info.secFetchSite = header.value();
      } else if (strcasecmp(name.c_str(), "Sec-Fetch-Mode") == 0) {
        info.secFetchMode = header.value();
      } else if (strcasecmp(name.c_str(), "Sec-Fetch-Dest") == 0) {
        info.secFetchDest = header.value();
      } else if (strcasecmp(name.c_str(), "Upgrade-Insecure-Requests") == 0) {
        info.upgradeInsecureRequests = true;
      }
    }
    if (connection) {
      // RFC 9110 section 7.6.1: a comma-separated list of case-insensitive options.
      bool close = false;
      bool keep = false;
      size_t start = 0;
      while (start <= connection->size()) {
        size_t end = connection->find(',', start);
        if (end == std::string::npos) {
          end = connection->size();
        }
        size_t b = start;
        size_t e = end;
        while (b < e && ((*connection)[b] == ' ' || (*connection)[b] == '\t')) {
          ++b;
        }
        while (e > b && ((*connection)[e - 1] == ' ' || (*connection)[e - 1] == '\t')) {
          --e;
        }
        const std::string_view option(connection->data() + b, e - b);
        close = close || (option.size() == 5 && strncasecmp(option.data(), "close", 5) == 0);
        keep = keep || (option.size() == 10 && strncasecmp(option.data(), "keep-alive", 10) == 0);
        start = end + 1;
      }
      keepAlive = !close && (!http10 || keep);
    } else {
      keepAlive = !http10;  // RFC 9112 section 9.3: HTTP/1.1 persists by default
    }
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

  // `held`: set on the slow-auth pool (see sendResponse); unset on the I/O thread.
  static void finish(ResponseWriter& writer, const RequestInfo& info, const Response& given,
                     bool keepAlive, bool http10, std::chrono::steady_clock::time_point start,
                     std::shared_ptr<Outstanding> held = nullptr,
                     std::shared_ptr<Awaiting> awaiting = nullptr) {
    const Response& r =
        given.code >= 500 && isDyndnsPath(info.path) ? dyndnsServerError(given) : given;
    // Log first: the response may leave at once (sendResponse), and a client's next request,
    // perhaps on another thread, must not be logged before this one.
    static const auto log = logging::get("api");
    if (log->should_log(spdlog::level::info)) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      // A dyndns2 answer is a 200 whatever happened: log its codes (good, nochg, nohost,
      // badauth...), one per host in order, never the addresses that follow them.
      const std::string answers = isDyndnsPath(info.path) ? dyndnsCodes(r.body) : std::string();
      log->info("request method={} path=\"{}\" status={}{}{} client={} user={} duration_us={}",
                sanitizeForLog(info.methodName), sanitizeForLog(info.path), r.code,
                answers.empty() ? "" : " dyndns=", answers,
                r.client.empty() ? info.peer.toString() : r.client,
                r.user.empty() ? "-" : sanitizeForLog(r.user), us);
    }
    const bool onIoThread = held == nullptr;
    sendResponse(writer, r, info.method == chipmunk::api::Method::kHead, keepAlive, http10,
                 onIoThread, std::move(held), std::move(awaiting));
  }

  std::shared_ptr<ApiService> service_;
  std::shared_ptr<SlowAuthPool> pool_;
  std::chrono::milliseconds keepaliveTimeout_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace

ApiServer::ApiServer(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : config_(config),
      service_(std::make_shared<ApiService>(config, std::move(store))),
      pool_(std::make_shared<SlowAuthPool>(
          SlowAuthPool::Options{SlowAuthPool::defaultWorkers(), 256, 4, std::chrono::seconds(10)})),
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
      service_, pool_, std::chrono::milliseconds(config_.keepaliveTimeout)));
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

void ApiServer::reload(const config::ApiConfig& config) {
  service_->reload(config);
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
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
  if (pool_) {
    pool_->stop();
  }
  if (hooks_) {
    hooks_->stop();  // runs the hooks already queued
  }
}

}  // namespace chipmunk::api
