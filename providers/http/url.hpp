// SPDX-License-Identifier: MIT
#pragma once

// URL helpers: query encoding and log redaction for every provider, and the parse of an
// http:// URL that the plain transport connects to.

#include <string>

namespace chipmunk::providers {

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string urlEncode(const std::string& text);

// "https://user:pass@host/path?q" -> "https://host/path" for logs.
std::string redactUrl(const std::string& url);

namespace http {

// An http:// URL taken apart for connecting and for the request line.
struct HttpUrl {
  std::string host;  // without brackets
  std::string port = "80";
  std::string target = "/";  // path and query; the fragment dropped
  std::string hostHeader;    // the authority as written
};

// Parses an http:// URL; false with the reason in `error` for another scheme, credentials in
// the authority, a bad IPv6 literal, host or port, or spaces and control characters.
bool parseHttpUrl(const std::string& url, HttpUrl& out, std::string& error);

}  // namespace http
}  // namespace chipmunk::providers
