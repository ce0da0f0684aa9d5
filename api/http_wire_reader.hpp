// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-api's request parser: one connection's bytes in, its requests out, in order,
// without the HTTP library. The head is found by HeadScanner, checked and read in one pass
// by readRequestHead (string_views into the buffer; only the headers routes read are
// copied into the RequestInfo), the body is Content-Length bytes. Pipelined requests are
// served in order from the same buffer.
//
// Limits, as the server had them with Pistache's parser: a bare CR or LF is 400; a
// request larger than max_request_size is 414, 431 or 413 by where the limit was hit
// (oversizeStatus; a Content-Length that would take it over is 413 at once); a head
// checkRequestHead refuses is 400 or 411; an unknown method 501. After a refusal nothing
// more is read: the connection answers with "Connection: close".

#include <cstddef>
#include <memory>
#include <string>

#include "api/http_wire.hpp"
#include "api/service.hpp"

namespace chipmunk::api {

// A request read off the connection: all of RequestInfo but the peer, and how to answer.
struct ParsedRequest {
  RequestInfo info;
  bool keepAlive = true;  // keepsAlive() of its Connection header and version
  bool http10 = false;
};

class RequestReader {
 public:
  static constexpr int kAgain = 0;  // next(): more bytes are needed
  static constexpr int kReady = 1;  // next(): `out` holds the next request

  explicit RequestReader(size_t maxSize) : maxSize_(maxSize) {}

  // Takes the connection's next bytes (copied: the caller's buffer is reused). The buffer
  // grows to what the connection sent, not to what a read offered room for: an idle
  // connection holds no more than its last request's bytes.
  void append(const char* data, size_t size);

  // The next request from the bytes taken so far: kAgain, kReady, or the status (>= 400)
  // to refuse the connection's next request with; after a refusal the reader must not be
  // asked again.
  int next(ParsedRequest& out);

  // The head of the request being read has arrived and its body has not (for the body
  // timeout; before that the header timeout applies).
  bool inBody() const { return headLen_ != 0; }
  // Bytes taken and not yet part of a request returned by next().
  size_t buffered() const { return size_ - start_; }
  size_t maxSize() const { return maxSize_; }

 private:
  // Room for `size` more bytes at the end of the buffer (not zero-filled).
  char* prepare(size_t size);
  // Reads the head of headLen_ bytes at start_ into `out`: 0, or the status to refuse it
  // with. When its body is here too, the request is consumed (headLen_ back to 0);
  // otherwise `out` is kept in pending_ until it is.
  int readHead(ParsedRequest& out);
  // Gives `out` the body behind the head at start_ and consumes the request.
  void takeBody(ParsedRequest& out);
  // Drops the request of `length` bytes at start_.
  void consume(size_t length);

  size_t maxSize_;
  // The bytes taken: a buffer of its own rather than a std::string, whose resize() would
  // zero-fill the room received into.
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;      // bytes in buf_
  size_t capacity_ = 0;  // buf_'s length
  size_t start_ = 0;     // where the next request starts in buf_
  HeadScanner scanner_;  // over the request at start_
  size_t headLen_ = 0;   // the head's length once it arrived and passed, else 0
  size_t bodyLen_ = 0;   // its Content-Length
  // The head read while its body is awaited; null otherwise (no room held per connection).
  std::unique_ptr<ParsedRequest> pending_;
};

}  // namespace chipmunk::api
