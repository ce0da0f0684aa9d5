// SPDX-License-Identifier: MIT
#include "providers/http/url.hpp"

#include <algorithm>
#include <cctype>

namespace chipmunk::providers {

std::string urlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string redactUrl(const std::string& url) {
  std::string out = url;
  const auto scheme = out.find("://");
  const size_t hostStart = scheme == std::string::npos ? 0 : scheme + 3;
  const auto pathStart = out.find('/', hostStart);
  const auto at = out.find('@', hostStart);
  if (at != std::string::npos && (pathStart == std::string::npos || at < pathStart)) {
    out.erase(hostStart, at + 1 - hostStart);
  }
  const auto query = out.find_first_of("?#");
  if (query != std::string::npos) {
    out.erase(query);
  }
  return out;
}

namespace http {
namespace {

// Splits "host", "host:port", "[v6]" or "[v6]:port" into out.host and out.port.
bool splitAuthority(const std::string& authority, HttpUrl& out, std::string& error) {
  if (authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      error = "bad IPv6 literal in URL";
      return false;
    }
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        error = "bad URL authority";
        return false;
      }
      out.port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      out.port = authority.substr(colon + 1);
    }
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5 ||
      !std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(out.port) > 65535) {
    error = "bad host or port in URL";
    return false;
  }
  return true;
}

}  // namespace

bool parseHttpUrl(const std::string& url, HttpUrl& out, std::string& error) {
  const std::string prefix = "http://";
  if (url.compare(0, prefix.size(), prefix) != 0) {
    error = "not an http:// URL";
    return false;
  }
  const size_t authorityStart = prefix.size();
  size_t authorityEnd = url.find_first_of("/?#", authorityStart);
  if (authorityEnd == std::string::npos) {
    authorityEnd = url.size();
  }
  const std::string authority = url.substr(authorityStart, authorityEnd - authorityStart);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    error = "bad URL authority (credentials in URLs are not supported)";
    return false;
  }
  out.hostHeader = authority;
  if (!splitAuthority(authority, out, error)) {
    return false;
  }
  std::string rest = url.substr(authorityEnd);
  const auto hash = rest.find('#');
  if (hash != std::string::npos) {
    rest.erase(hash);
  }
  out.target = rest.empty() ? "/" : (rest[0] == '?' ? "/" + rest : rest);
  for (const char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = "URL contains spaces or control characters";
      return false;
    }
  }
  return true;
}

}  // namespace http
}  // namespace chipmunk::providers
