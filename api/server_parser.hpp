// SPDX-License-Identifier: MIT
#pragma once

// A connection's state on its Pistache peer: our request reader (api/http_wire_reader.hpp)
// in the place of Pistache's request parser, so that Pistache's endpoint still times the
// connection out. Pistache glue, used by api/server.cpp only.

#include <pistache/http.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "api/http_wire_reader.hpp"
#include "common/ip.hpp"

namespace chipmunk::api {

// A connection's requests handed to the slow-auth pool whose answer is not written yet.
// Pistache 0.0.5 times a connection out with 408 when it is not idle and its parser has
// been at the request line for longer than header_timeout (endpoint.cc, checkIdlePeers),
// and a request waiting for its password check is exactly that: its headers arrived long
// ago. While a count is held here, the connection's parser steps report an id Pistache
// does not time (ConnectionState), so a complete request is always answered with what
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

// Responses of one connection handed to Pistache's write queue, or to the slow-auth pool,
// and not written yet: while there is one, later responses queue behind it.
using Outstanding = std::atomic<int>;

// One per connection, put on the peer where Pistache's Http::Handler keeps its request
// parser (Http::Handler::ParserData). Pistache's endpoint times every connection through
// that object (checkIdlePeers: time() since the last reset(), and step()->id(): header_timeout
// at the request line or headers, body_timeout in the body, nothing for other ids), so this
// is a RequestParser whose steps only report where `reader` is; Pistache's parse() is never
// called. Everything here but the atomics is used on the connection's I/O thread only.
class ConnectionState final : public Pistache::Http::RequestParser {
 public:
  // `peer`: the client's address, read once per connection (nullopt: unreadable, every
  // request gets 400).
  ConnectionState(size_t maxSize, std::optional<IpAddress> peer);

  // reset() after each request: Pistache's timers count from there.
  // Reports to Pistache's timers whether `reader` waits for a head or for a body.
  void track();

  RequestReader reader;
  const std::optional<IpAddress> peer;
  const std::shared_ptr<Awaiting> awaiting = std::make_shared<Awaiting>();
  const std::shared_ptr<Outstanding> outstanding = std::make_shared<Outstanding>(0);
  // Set once a response said "Connection: close" (or refused the request): whatever the
  // client sends after it is never read as a request.
  bool closed = false;

  // Answers leave in the order the requests came, whichever thread makes them (server.cpp,
  // sendResponse): each request read gets the next number; an answer whose turn has not
  // come waits in `parked` until the answers before it are handed to the socket.
  uint64_t nextSeq = 0;  // I/O thread: the number of the next request read
  std::mutex sendMutex;
  uint64_t nextToSend = 0;                                           // under sendMutex
  std::map<uint64_t, std::function<void(ConnectionState&)>> parked;  // under sendMutex
};

}  // namespace chipmunk::api
