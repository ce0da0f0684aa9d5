// SPDX-License-Identifier: MIT
#pragma once

// The HTTP/1.1 wire format the plain transport speaks (RFC 9112): the request it writes and
// the reply head and body it reads. No sockets here, so that hostile replies can be tested
// and fuzzed as text.

#include <optional>
#include <string>
#include <vector>

#include "providers/http/client.hpp"
#include "providers/http/url.hpp"

namespace chipmunk::providers::http {

// The request head and body for `request` to `url`: Host, User-Agent, Accept, Connection:
// close, Basic credentials, the caller's headers and a Content-Length when there is a body
// (or the method is POST or PUT). False with `error` set when a header name or value holds a
// line break (a header could otherwise be forged).
bool requestMessage(const HttpRequest& request, const HttpUrl& url, std::string& out,
                    std::string& error);

// How a reply's body ends (RFC 9112 section 6.3).
enum class Framing { kLength, kChunked, kClose, kNone };
struct BodyFraming {
  Framing kind = Framing::kClose;
  size_t contentLength = 0;  // kLength only
};

// The status code of a reply head's status line ("HTTP/1.x NNN ..."); nullopt when it is
// not one.
std::optional<int> parseStatusLine(const std::string& head);

// Reads the header lines of `head` (what follows the status line, without the blank line)
// into response.headers (names lower-cased) and works out the body's framing for a reply to
// `method`. False with `error` set for a malformed line, both Content-Length and
// Transfer-Encoding, Content-Length values that differ or are not numbers, or a length over
// `maxBody`: a reply whose length two parsers could read differently is refused.
bool parseHeaderFields(const std::string& head, const std::string& method, size_t maxBody,
                       HttpResponse& response, BodyFraming& framing, std::string& error);

// Decodes a chunked body from `raw` into `out`; `complete` once the last chunk is in. False
// when it is malformed; true with `complete` false when more is needed.
bool decodeChunked(const std::string& raw, std::string& out, bool& complete);

// The items of a comma-separated field value, trimmed; empty items are dropped.
std::vector<std::string> splitComma(const std::string& value);

}  // namespace chipmunk::providers::http
