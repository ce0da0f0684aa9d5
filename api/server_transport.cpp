// SPDX-License-Identifier: MIT
#include "api/server_transport.hpp"

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <pistache/async.h>
#include <pistache/os.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/http_writer.hpp"
#include "api/server_parser.hpp"

namespace chipmunk::api {
namespace {

using Pistache::Polling::Event;
using Pistache::Polling::NotifyOn;
using Pistache::Polling::Tag;

// The room offered to each recv(2); a head larger than this takes several.
constexpr size_t kReadSize = 4096;
// How often the timeouts are checked, as Pistache's endpoint does.
constexpr long kCheckIntervalNs = 500'000'000;
// What a stopped TLS connection's reader may hold (see the header).
constexpr size_t kTlsPausedBytes = 64 * 1024;

// The whole event of an FdSet entry: Entry hides the flags it does not ask about
// (NotifyOn::Shutdown, the peer's half-close) behind a private base, which a C-style cast
// may name (C++17 [expr.cast]/4).
const Event& eventOf(const Pistache::Aio::FdSet::Entry& entry) {
  return *(const Event*)(&entry);  // NOLINT(cppcoreguidelines-pro-type-cstyle-cast)
}

}  // namespace

void ConnectionHandler::onConnection(const PeerPtr& peer) {
  auto* transport = static_cast<ConnectionTransport*>(this->transport());
  transport->adopt(peer, open(peer, transport->addressOf(peer)));
}

void ConnectionHandler::onInput(const char* data, size_t size, const PeerPtr& peer) {
  static_cast<ConnectionTransport*>(transport())->received(peer, data, size);
}

void ConnectionHandler::onDisconnection(const PeerPtr& peer) {
  closed(peer);
  static_cast<ConnectionTransport*>(transport())->forget(peer);
}

ConnectionTransport::ConnectionTransport(std::shared_ptr<ConnectionHandler> handler,
                                         Timeouts timeouts)
    : Transport(handler),
      handler_(std::move(handler)),
      timeouts_(timeouts),
      buffer_(new char[kReadSize]) {}

ConnectionTransport::~ConnectionTransport() {
  if (timerFd_ >= 0) {
    ::close(timerFd_);
  }
  while (!handshakes_.empty()) {
    failHandshake(handshakes_.begin());
  }
}

std::shared_ptr<Pistache::Aio::Handler> ConnectionTransport::clone() const {
  auto copy = std::make_shared<ConnectionTransport>(
      std::static_pointer_cast<ConnectionHandler>(handler_->clone()), timeouts_);
  copy->listenSockets_ = listenSockets_;
  return copy;
}

void ConnectionTransport::registerPoller(Pistache::Polling::Epoll& poller) {
  Transport::registerPoller(poller);
  timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timerFd_ < 0) {
    throw std::runtime_error("timerfd_create failed");
  }
  itimerspec spec{};
  spec.it_value.tv_nsec = kCheckIntervalNs;
  spec.it_interval.tv_nsec = kCheckIntervalNs;
  if (::timerfd_settime(timerFd_, 0, &spec, nullptr) != 0) {
    throw std::runtime_error("timerfd_settime failed");
  }
  poller.addFd(timerFd_, Pistache::Flags<NotifyOn>(NotifyOn::Read), Tag(timerFd_));
  if (listenSockets_) {
    registerListener(poller);
  }
}

void ConnectionTransport::onReady(const Pistache::Aio::FdSet& fds) {
  std::vector<Event> rest;  // for Pistache: its queues, TLS peers, writable sockets
  for (const auto& entry : fds) {
    const Event& event = eventOf(entry);
    if (event.tag == Tag(timerFd_)) {
      uint64_t expirations = 0;
      (void)!::read(timerFd_, &expirations, sizeof expirations);
      checkIdle();
      closeLingering();
      resumeAccepting();
      expireHandshakes();
      continue;
    }
    if (listenFd_ >= 0 && event.tag == Tag(listenFd_)) {
      acceptConnections();
      continue;
    }
    if (!handshakes_.empty()) {
      const auto h = handshakes_.find(static_cast<int>(event.tag.value()));
      if (h != handshakes_.end()) {
        continueHandshake(h);
        continue;
      }
    }
    if (!lingering_.empty() && lingering_.count(static_cast<int>(event.tag.value())) > 0) {
      continue;  // see linger()
    }
    const bool closing =
        event.flags.hasFlag(NotifyOn::Shutdown) || event.flags.hasFlag(NotifyOn::Hangup);
    const auto it = entry.isReadable() || closing ? conns_.find(static_cast<int>(event.tag.value()))
                                                  : conns_.end();
    if (it == conns_.end() || it->second.peer->ssl() != nullptr) {
      // Pistache throws (and the process ends) on a writable event of a descriptor it has
      // no write queue for: one closed earlier in this turn (an expired handshake).
      if (entry.isReadable() || peers.count(static_cast<int>(event.tag.value())) > 0) {
        rest.push_back(event);
      }
      continue;
    }
    if (readFrom(it->second, closing) && entry.isWritable()) {
      Event write(event.tag);
      write.flags = Pistache::Flags<NotifyOn>(NotifyOn::Write);
      rest.push_back(write);
    }
  }
  if (!rest.empty()) {
    Transport::onReady(Pistache::Aio::FdSet(std::move(rest)));
  }
  // Connections Pistache handed over just now (adopt): their request is usually here
  // already, read it without waiting for epoll to say so.
  freshNow_.swap(fresh_);  // both keep their capacity: no allocation per connection
  for (const int fd : freshNow_) {
    const auto it = conns_.find(fd);
    if (it != conns_.end() && it->second.peer->ssl() == nullptr) {
      readFrom(it->second, false);
    }
  }
  freshNow_.clear();
  // Pistache's writes ran (answers may have drained), or the timer: an answer written on
  // another thread (a rare race of Pistache's promises) is noticed within 500 ms.
  resumePaused();
}

bool ConnectionTransport::readFrom(const Connection& c, bool closing) {
  ConnectionState& conn = *c.state;
  const int fd = c.peer->fd();
  if (conn.paused) {
    if (closing) {
      // The client went away (the end of its input is that, paused or not): its held
      // requests are released now, not when they would have been answered.
      drop(c.peer);
      return false;
    }
    return true;  // left in the kernel until resumePaused()
  }
  for (;;) {
    // Into this thread's buffer, then copied (a request's few hundred bytes) to the reader:
    // received into the reader, every connection would hold the room offered.
    const ssize_t n = ::recv(fd, buffer_.get(), kReadSize, 0);
    if (n > 0) {
      if (!conn.closed) {  // after a refusal or "Connection: close" nothing is read
        conn.reader.append(buffer_.get(), static_cast<size_t>(n));
        serve(c);
        if (conn.lastAnswerOut && !finish(c, static_cast<size_t>(n) < kReadSize || closing)) {
          return false;
        }
        if (conn.paused) {
          return true;
        }
      }
      if (static_cast<size_t>(n) < kReadSize && !closing) {
        return true;  // drained: the next bytes are another edge
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    }
    drop(c.peer);  // the client closed, or the connection failed
    return false;
  }
}

void ConnectionTransport::serve(const Connection& c) {
  handler_->serveInput(c.peer, c.state);
  if (c.state->paused) {
    paused_.push_back(c.peer->fd());
    handler_->paused(true);
  }
}

void ConnectionTransport::resumePaused() {
  if (paused_.empty()) {
    return;
  }
  pausedNow_.swap(paused_);
  for (const int fd : pausedNow_) {
    const auto it = conns_.find(fd);
    if (it == conns_.end() || !it->second.state->paused) {
      continue;
    }
    if (it->second.state->full()) {
      paused_.push_back(fd);
      continue;
    }
    const Connection c = it->second;  // a copy: the entry goes if the connection closes
    c.state->paused = false;
    c.state->since = std::chrono::steady_clock::now();  // it waited for us, not the client
    handler_->paused(false);
    if (!c.state->closed) {
      serve(c);
    }
    if (c.peer->ssl() != nullptr) {
      halfCloseTls(c);
      continue;  // Pistache reads it
    }
    if (c.state->lastAnswerOut && !finish(c, false)) {
      continue;
    }
    readFrom(c, false);  // the bytes left in the kernel: no new edge comes for them
  }
  pausedNow_.clear();
}

// The connection's last answer is out (ConnectionState::lastAnswerOut). As nginx does, a
// client that sent nothing after the request that ended it is closed at once: no
// shutdown(2), no wait for its FIN. One that sent more (pipelined requests, or bytes after
// a refused request) is half-closed and read to the end (discarded) until it closes or
// keepalive_timeout passes: closed with its bytes unread, the connection would be reset
// and the client might lose the answer.
bool ConnectionTransport::finish(const Connection& c, bool drained) {
  ConnectionState& conn = *c.state;
  conn.lastAnswerOut = false;
  if (drained && conn.reader.buffered() == 0) {
    drop(c.peer);
    return false;
  }
  ::shutdown(c.peer->fd(), SHUT_WR);
  return true;
}

void ConnectionTransport::adopt(const PeerPtr& peer, std::shared_ptr<ConnectionState> conn) {
  conns_[peer->fd()] = Connection{peer, std::move(conn)};
  fresh_.push_back(peer->fd());
}

void ConnectionTransport::received(const PeerPtr& peer, const char* data, size_t size) {
  const auto it = conns_.find(peer->fd());
  if (it == conns_.end() || it->second.state->closed) {
    return;
  }
  ConnectionState& conn = *it->second.state;
  if (conn.paused && conn.reader.buffered() + size > kTlsPausedBytes) {
    conn.closed = true;  // read no more of it: the answers made go out, the timers end it
    return;
  }
  conn.reader.append(data, size);
  if (conn.paused) {
    return;
  }
  const Connection c = it->second;
  serve(c);
  halfCloseTls(c);
}

// A TLS connection's last answer is out (lastAnswerOut): half-closed, as
// finish() does for plain TCP; Pistache reads it to the end.
void ConnectionTransport::halfCloseTls(const Connection& c) {
  if (c.state->lastAnswerOut) {
    c.state->lastAnswerOut = false;
    ::shutdown(c.peer->fd(), SHUT_WR);
  }
}

void ConnectionTransport::forget(const PeerPtr& peer) {
  const auto it = conns_.find(peer->fd());
  if (it != conns_.end() && it->second.peer == peer) {
    {
      // Every close comes here (drop, and Pistache's own at a TLS client's end): no later
      // answer is handed to the socket (writeAnswer), whose number a new connection may get.
      std::lock_guard<std::mutex> lock(it->second.state->sendMutex);
      it->second.state->gone = true;
    }
    if (it->second.state->paused) {
      it->second.state->paused = false;
      handler_->paused(false);
      paused_.erase(std::remove(paused_.begin(), paused_.end(), peer->fd()), paused_.end());
    }
    conns_.erase(it);
  }
}

void ConnectionTransport::drop(PeerPtr peer) {
  const auto it = peers.find(peer->fd());
  if (it == peers.end() || it->second != peer) {
    return;  // already closed
  }
  const auto c = conns_.find(peer->fd());
  const auto state = c != conns_.end() && c->second.peer == peer ? c->second.state : nullptr;
  // The handler forgets it, and marks it gone (forget): nothing more is handed to its
  // socket. An answer queued in Pistache before that keeps the descriptor open (linger)
  // until it is out or dropped, so that it can never reach a new connection given the same
  // descriptor number.
  handler_->onDisconnection(peer);
  if (state && state->outstanding.load() > 0) {
    linger(peer, state);
  } else if (closesAtOnce(peer, state.get())) {
    closeAtOnce(peer);
  } else {
    removePeer(peer);
  }
}

void ConnectionTransport::checkIdle() {
  const auto now = std::chrono::steady_clock::now();
  const int64_t nowMs = Awaiting::nowMs();
  std::vector<PeerPtr> expired;
  std::vector<PeerPtr> stalled;  // closed without a 408, which could cut into an answer
  for (const auto& [fd, c] : conns_) {
    const auto elapsed = now - c.state->since;
    // Answers queued in Pistache: the send timeout applies instead of the idle one.
    const bool writing = c.state->writing.load() > 0;
    bool over = writing && nowMs - c.state->writtenMs.load() > timeouts_.keepalive.count();
    if (c.peer->isIdle()) {
      over = over || (!writing && elapsed > timeouts_.keepalive);
    } else {
      switch (c.state->timer()) {
        case ConnectionState::Timer::kHeader:
          over = over || elapsed > timeouts_.header || elapsed > timeouts_.body;
          break;
        case ConnectionState::Timer::kBody:
          over = over || elapsed > timeouts_.body;
          break;
        case ConnectionState::Timer::kNone:
          break;
      }
    }
    if (over) {
      (writing ? stalled : expired).push_back(c.peer);
    }
  }
  for (const auto& peer : expired) {
    expire(peer);
  }
  for (const auto& peer : stalled) {
    drop(peer);
  }
}

// An idle connection is closed; a busy one is answered 408 first (not counted or logged,
// as Pistache's was not).
void ConnectionTransport::expire(const PeerPtr& peer) {
  if (peer->isIdle()) {
    drop(peer);
    return;
  }
  std::string out = formatResponse(textResponse(408, reasonPhrase(408)), false, false, false);
  if (peer->ssl() == nullptr) {
    {
      // Under the send lock, and nothing after it: an answer a pool thread finishes now
      // (past Awaiting::kMaxAwait) is not written beside the 408 (server.cpp, writeAnswer).
      const auto c = conns_.find(peer->fd());
      std::unique_lock<std::mutex> lock;
      if (c != conns_.end() && c->second.peer == peer) {
        lock = std::unique_lock<std::mutex>(c->second.state->sendMutex);
        c->second.state->gone = true;
      }
      (void)!::send(peer->fd(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    drop(peer);  // takes the send lock again (forget)
    return;
  }
  const size_t size = out.size();
  peer->send(Pistache::RawBuffer(std::move(out), size))
      .then([this, peer](ssize_t) { drop(peer); },
            [this, peer](std::exception_ptr) { drop(peer); });
}

}  // namespace chipmunk::api
