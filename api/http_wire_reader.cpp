// SPDX-License-Identifier: MIT
#include "api/http_wire_reader.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>

namespace chipmunk::api {
namespace {

// RFC 9110 section 9.1: a method the server does not know is 501.
bool knownMethod(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                "PATCH", "OPTIONS", "TRACE", "CONNECT"};
  return std::find(std::begin(kKnown), std::end(kKnown), method) != std::end(kKnown);
}

}  // namespace

void RequestReader::append(const char* data, size_t size) {
  std::memcpy(prepare(size), data, size);
  size_ += size;
}

char* RequestReader::prepare(size_t size) {
  if (capacity_ - size_ < size) {
    const size_t capacity = std::max(size_ + size, capacity_ * 2);
    std::unique_ptr<char[]> grown(new char[capacity]);  // not zero-filled
    if (size_ != 0) {
      std::memcpy(grown.get(), buf_.get(), size_);
    }
    buf_ = std::move(grown);
    capacity_ = capacity;
  }
  return buf_.get() + size_;
}

int RequestReader::next(ParsedRequest& out) {
  const size_t have = size_ - start_;
  if (headLen_ != 0) {
    // The head passed before (read into pending_), its body was incomplete.
    if (have < headLen_ + bodyLen_) {
      return kAgain;
    }
    out = std::move(*pending_);
    pending_.reset();
    takeBody(out);
    return kReady;
  }
  if (have == 0) {
    return kAgain;
  }
  // No further than one byte past the limit: what lies beyond cannot make a head that is
  // accepted, and the status must not depend on how the bytes were split into reads.
  const size_t scan = std::min(have, maxSize_ + 1);
  scanner_.scan(buf_.get() + start_ + scanner_.scanned(), scan - scanner_.scanned());
  if (scanner_.bad()) {
    return 400;
  }
  const size_t headEnd = scanner_.headEnd();
  if (headEnd == HeadScanner::npos) {
    return have > maxSize_ ? oversizeStatus(scanner_, maxSize_) : kAgain;
  }
  if (headEnd > maxSize_) {
    return oversizeStatus(scanner_, maxSize_);
  }
  headLen_ = headEnd;
  if (const int status = readHead(out)) {
    return status;
  }
  return headLen_ == 0 ? kReady : kAgain;  // consumed, or waiting for its body
}

int RequestReader::readHead(ParsedRequest& out) {
  out = ParsedRequest{};
  RequestHead head;
  std::optional<std::string> connection;
  const std::string_view bytes(buf_.get() + start_, headLen_);
  if (const int status = readRequestHead(bytes, head, out.info, connection)) {
    return status;
  }
  if (!knownMethod(head.method)) {
    return 501;
  }
  const unsigned long long length = head.contentLength.value_or(0);
  if (length > maxSize_ - headLen_) {
    return 413;
  }
  bodyLen_ = static_cast<size_t>(length);
  out.http10 = head.http10;
  out.keepAlive = keepsAlive(connection, head.http10);
  if (size_ - start_ < headLen_ + bodyLen_) {
    // The body is still to come (inBody()): the head is kept as read, not read again.
    pending_ = std::make_unique<ParsedRequest>(std::move(out));
    return 0;
  }
  takeBody(out);
  return 0;
}

void RequestReader::takeBody(ParsedRequest& out) {
  out.info.body.assign(buf_.get() + start_ + headLen_, bodyLen_);
  consume(headLen_ + bodyLen_);
}

void RequestReader::consume(size_t length) {
  start_ += length;
  if (start_ == size_) {
    size_ = 0;  // the usual case: nothing pipelined behind it
    start_ = 0;
  } else if (start_ > maxSize_) {
    // What is left is less than a request's bytes and one read.
    std::memmove(buf_.get(), buf_.get() + start_, size_ - start_);
    size_ -= start_;
    start_ = 0;
  }
  scanner_.reset();
  headLen_ = 0;
  bodyLen_ = 0;
}

}  // namespace chipmunk::api
