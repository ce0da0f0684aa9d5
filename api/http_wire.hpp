// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-api's HTTP/1.1 wire, without the HTTP library: the checks on the raw request
// head and, in the same pass, the reading of its headers into a RequestInfo; the
// url-decoder (http_wire_query.cpp). http_wire_reader.hpp cuts a connection's bytes into
// requests with these, http_writer.hpp has the bytes of a response, server.cpp holds the
// Pistache glue around them.
//
// Where leniency lets two parsers disagree about where a request ends (RFC 9112 sections
// 2.2, 3, 5 and 6.3: two Content-Length lines, "Name :", a bare LF inside a value), the
// head is refused with 400 (411 for a lone Transfer-Encoding) and the connection closed,
// so the bytes that follow are never read as another request, whether or not a proxy
// stands in front.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/service.hpp"

namespace chipmunk::api {

// ---- The request head ----

// Finds the end of the request line and of the head as bytes arrive, one read at a time,
// without keeping them; refuses a bare CR or LF at once.
class HeadScanner {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  // Continues over the next bytes of the request; stops looking once the head has ended
  // (what follows is the body).
  void scan(const char* data, size_t size);
  void reset() { *this = HeadScanner(); }

  bool bad() const { return bad_; }  // a CR not followed by LF, or an LF without CR
  // Offsets from the request's first byte, just past the CRLF; npos while not seen.
  size_t lineEnd() const { return lineEnd_; }
  size_t headEnd() const { return headEnd_; }
  size_t scanned() const { return scanned_; }

 private:
  size_t scanned_ = 0;
  size_t lineStart_ = 0;
  size_t lineEnd_ = npos;
  size_t headEnd_ = npos;
  bool afterCr_ = false;
  bool bad_ = false;
};

// What a request head that passed checkRequestHead() says about its framing.
struct RequestHead {
  std::string_view method;
  std::string_view target;  // the request-target as sent (path and query)
  bool http10 = false;
  std::optional<unsigned long long> contentLength;
};

// Checks a complete request head: the request line, the header lines and the empty line,
// each ending in CRLF. Returns 0 when it is well-formed and unambiguous, else the status to
// refuse it with: 400 (a malformed request line; a field name that is not a token or has
// whitespace before its colon; a folded line; a control character or NUL in a value; a
// Content-Length that is not one 1*DIGIT value, given once; Content-Length together with
// Transfer-Encoding; no Host in HTTP/1.1, or two; two Authorization or Content-Type lines)
// or 411 (Transfer-Encoding: chunked bodies are not accepted). A Host that is not
// host[:port] is a 400 too (RFC 9112 section 3.2).
int checkRequestHead(std::string_view head, RequestHead& out);

// The same check, and in the same pass over the head each header line files its value into
// `info` and `connection` (takeHeader), and the request line the method, path and query.
// `info` and `connection` are fresh (nothing filed yet).
int readRequestHead(std::string_view head, RequestHead& out, RequestInfo& info,
                    std::optional<std::string>& connection);

// The status for a request that outgrew max_request_size, from where the limit was hit:
// 414 inside the request line, 431 inside the header lines, 413 in the body.
int oversizeStatus(const HeadScanner& scanner, size_t limit);

// ---- Url-encoded fields: the one percent-decoder of chipmunk-api ----

// Splits a request-target's query ("a=1&b=%20") into percent-decoded fields in request
// order, repeats included (routes decide what a repeat means). Empty items are skipped.
// False on a malformed percent escape.
bool parseQuery(std::string_view target, std::vector<std::pair<std::string, std::string>>& fields);

// Appends the percent-decoded fields of "a=1&b=%20" (a query, or an
// application/x-www-form-urlencoded body, where '+' is a space: plusIsSpace) in order,
// repeats included; empty items are skipped. False when an item had a malformed escape
// (that item is left out).
bool appendUrlEncoded(std::string_view text, bool plusIsSpace,
                      std::vector<std::pair<std::string, std::string>>& fields);

// ---- A parsed request into a RequestInfo ----

// "GET", "HEAD" and "POST" are the methods routes tell apart; any other is kOther.
Method methodOf(std::string_view name);

// Files one received header line (its value without surrounding whitespace) into `info`
// (the headers routes read; any other is ignored), or into `connection` when it is the
// Connection header. Repeated list fields (the forwarding headers, Connection) are joined
// with ", " in order (RFC 9110 section 5.3); of another repeated field the first counts.
void takeHeader(std::string_view name, std::string_view value, RequestInfo& info,
                std::optional<std::string>& connection);

// Whether the connection stays open after the answer, from the request's Connection
// header (RFC 9110 section 7.6.1: a list of case-insensitive options) and its version
// (RFC 9112 section 9.3: HTTP/1.1 persists by default, HTTP/1.0 only with keep-alive).
bool keepsAlive(const std::optional<std::string>& connection, bool http10);

}  // namespace chipmunk::api
