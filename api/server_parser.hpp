// SPDX-License-Identifier: MIT
#pragma once

// The server's request parser: Pistache 0.0.5's, with every step guarded by the checks of
// api/http_wire.hpp. Pistache glue, used by api/server.cpp only.

#include <pistache/http.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/http_wire.hpp"

namespace chipmunk::api {

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

// One per connection: Pistache's request parser with guarded steps, and the raw-byte
// checks of http_wire.hpp run on each read before Pistache sees it.
//
// Pistache 0.0.5's request parser answers an exception from a header's parser (a Host
// port, Date or Content-Length it cannot read) with a 500 whose body is e.what(), and
// reserves whatever body size Content-Length claims before reading a byte of it (a huge
// value: bad_alloc, a 500, or an abort under ASan). Here each step is wrapped so that parse
// errors are a 400 with a fixed text, and before the request line is parsed the complete
// head must have passed checkRequestHead() (ambiguous framing is a 400, a
// Transfer-Encoding 411) and a Content-Length larger than max_request_size is a 413,
// before the body step runs.
class GuardedRequestParser final : public Pistache::Http::RequestParser {
 public:
  GuardedRequestParser(size_t maxSize, const std::shared_ptr<const Awaiting>& awaiting);

  // Pistache::Http::Private::ParserBase
  void reset() override;

  // Takes the connection's next bytes: 0, or the status to refuse the request with (a bare
  // CR or LF: 400; over max_request_size: 414, 431 or 413 by where the limit was hit).
  int take(const char* data, size_t size);

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

}  // namespace chipmunk::api
