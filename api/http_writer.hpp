// SPDX-License-Identifier: MIT
#pragma once

// What chipmunk-api writes back: the bytes of a response (status line, fixed headers, body)
// and the request's text as the request log shows it. The request side is http_wire.hpp.

#include <string>

#include "api/service.hpp"

namespace chipmunk::api {

// ---- The response ----

// A text/plain response with a fixed body.
Response textResponse(int code, std::string body);

// "HTTP/1.1 <code> <reason>": the reason phrase of a code we send ("Unknown" for others).
const char* reasonPhrase(int code);

// The bytes of `r` on the wire: status line, Date, Content-Type, Content-Length, the fixed
// Cache-Control and X-Content-Type-Options, Connection when it is not the version's
// default (close; keep-alive for HTTP/1.0), `r.extraHeaders`, then the body unless `head`
// (a HEAD answer carries GET's headers, Content-Length included, without the body).
std::string formatResponse(const Response& r, bool head, bool keepAlive, bool http10);

// ---- The request log ----

// A request's text (method, path, user) for a log line: at most 200 bytes of printable
// ASCII; anything else, and '"', becomes '?'. No line breaks or quotes that would forge log
// fields, and no bytes of other encodings (invalid UTF-8, bidi overrides) that make a log
// line read differently from what it holds.
std::string sanitizeForLog(const std::string& text);

}  // namespace chipmunk::api
