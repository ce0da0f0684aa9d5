// SPDX-License-Identifier: MIT
#pragma once

// A connection's state: our request reader (api/http_wire_reader.hpp), the order its
// answers leave in, and what its timeouts go by (api/server_transport.cpp applies them).
// Pistache glue, used by api/server.cpp and api/server_transport.cpp only.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "api/auth_memo.hpp"
#include "api/http_wire_reader.hpp"
#include "common/ip.hpp"

namespace chipmunk::api {

// A connection's requests handed to the slow-auth pool whose answer is not written yet.
// The transport times a connection out with 408 when it is not idle and has waited for a
// request's head for longer than header_timeout (as Pistache 0.0.5's endpoint did), and a
// request waiting for its password check is exactly that: its headers arrived long ago.
// While a count is held here, the connection is not timed (ConnectionState::timer), so a
// complete request is always answered with what was done. The wait itself is bounded by the pool
// (SlowAuthPool::Options::maxWait), and kMaxAwait is a backstop after which the timers apply again.
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

// Responses of one connection handed to Pistache's write queue, or to the slow-auth pool,
// and not written yet: while there is one, later responses queue behind it.
using Outstanding = std::atomic<int>;

// One per connection, kept by the transport beside its Pistache peer. Everything here but
// the atomics and what sendMutex guards is used on the connection's I/O thread only.
class ConnectionState : public std::enable_shared_from_this<ConnectionState> {
 public:
  // `peer`: the client's address, read once per connection (nullopt: unreadable, every
  // request gets 400).
  ConnectionState(size_t maxSize, std::optional<IpAddress> peer);

  // Which timeout applies while the connection is not idle: header_timeout until a head
  // arrived, body_timeout while its body is awaited, none while an answer is awaited
  // from the slow-auth pool (Awaiting).
  enum class Timer { kHeader, kBody, kNone };
  Timer timer() const;

  // The timers count from here: the connection's start, then each request read.
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  RequestReader reader;
  const std::optional<IpAddress> peer;
  Awaiting awaiting;
  Outstanding outstanding{0};
  // The Authorization value the last login on this connection was made with (I/O thread).
  AuthMemo authMemo;
  // The two counts for what outlives this call (an answer made or written later), sharing
  // the ownership of the state: no allocation of their own per connection. The state
  // must be owned by a shared_ptr.
  std::shared_ptr<Awaiting> shareAwaiting() { return {shared_from_this(), &awaiting}; }
  std::shared_ptr<Outstanding> shareOutstanding() { return {shared_from_this(), &outstanding}; }
  // Set once a response said "Connection: close" (or refused the request): whatever the
  // client sends after it is never read as a request.
  bool closed = false;
  // Set on the I/O thread when the answer that closes the connection was written whole
  // at once (server.cpp, sendAtOnce), nothing before it pending: the transport then closes
  // the connection, or half-closes it when the client sent more (lingering, so that the
  // client reads the answer before any reset).
  bool lastAnswerOut = false;

  // Pipelining bounds (as nginx's and Envoy's): past either, the connection is not read
  // (its bytes stay in the kernel, TCP flow control pushes back on the client) until its
  // answers drain below it. A request counts from when it is read until its answer's bytes
  // are all handed to the socket (`answered`); the bytes of answers parked (`parked`) or
  // in Pistache's write queue count until they are out (`queuedBytes`).
  static constexpr uint64_t kMaxUnanswered = 32;
  static constexpr size_t kMaxQueuedBytes = size_t{1} << 20;
  std::atomic<uint64_t> answered{0};
  std::atomic<size_t> queuedBytes{0};
  // Set (I/O thread) by serveInput when a bound is reached: the transport reads nothing
  // until full() is false, then serves what the reader holds and reads the socket again.
  bool paused = false;
  bool full() const {
    return nextSeq - answered.load(std::memory_order_relaxed) >= kMaxUnanswered ||
           queuedBytes.load(std::memory_order_relaxed) >= kMaxQueuedBytes;
  }
  // Answers in Pistache's write queue, and when (steady clock, ms) one last left or the
  // first was queued: the transport closes a connection whose queued answers did not move
  // for keepalive_timeout (the send timeout: a client that does not read).
  std::atomic<int> writing{0};
  std::atomic<int64_t> writtenMs{0};
  // An answer of `size` bytes handed to Pistache's write queue; then out (or failed).
  void queued(size_t size) {
    queuedBytes.fetch_add(size);
    if (writing.fetch_add(1) == 0) {
      writtenMs.store(Awaiting::nowMs());
    }
  }
  void written(size_t size) {
    writtenMs.store(Awaiting::nowMs());
    queuedBytes.fetch_sub(size);
    writing.fetch_sub(1);
    answered.fetch_add(1);
  }

  // Answers leave in the order the requests came, whichever thread makes them (server.cpp,
  // sendResponse): each request read gets the next number; an answer whose turn has not
  // come waits in `parked` until the answers before it are handed to the socket.
  uint64_t nextSeq = 0;  // I/O thread: the number of the next request read
  std::mutex sendMutex;
  uint64_t nextToSend = 0;  // under sendMutex
  // Set (under sendMutex) by the transport when it closes the connection: nothing more is
  // handed to its socket, whose descriptor number a new connection may get.
  bool gone = false;
  std::map<uint64_t, std::function<void(ConnectionState&)>> parked;  // under sendMutex
};

}  // namespace chipmunk::api
