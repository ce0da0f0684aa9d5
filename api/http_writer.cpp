// SPDX-License-Identifier: MIT
#include "api/http_writer.hpp"

#include <ctime>
#include <utility>

namespace chipmunk::api {

Response textResponse(int code, std::string body) {
  Response r;
  r.code = code;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

namespace {

// "Date: Tue, 24 Nov 2026 22:06:22 GMT\r\n", formatted once per second per thread.
const std::string& dateHeader() {
  thread_local std::time_t last = 0;
  thread_local std::string header;
  const std::time_t now = std::time(nullptr);
  if (now != last) {
    last = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    header = buf;
  }
  return header;
}

}  // namespace

std::string formatResponse(const Response& r, bool head, bool keepAlive, bool http10) {
  std::string out;
  out.reserve(256 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.code);
  out += ' ';
  out += reasonPhrase(r.code);
  out += "\r\n";
  out += dateHeader();
  if (!r.contentType.empty()) {
    out += "Content-Type: ";
    out += r.contentType;
    out += "\r\n";
  }
  if (r.code != 304) {  // a 304 has no body, and its length would be the 200's
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  if (!keepAlive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += r.extraHeaders;
  out += "\r\n";
  if (!head) {
    out += r.body;
  }
  return out;
}

const char* reasonPhrase(int code) {
  static constexpr std::pair<int, const char*> kPhrases[] = {
      {200, "OK"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {411, "Length Required"},
      {413, "Payload Too Large"},
      {414, "URI Too Long"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {503, "Service Unavailable"}};
  for (const auto& [known, phrase] : kPhrases) {
    if (known == code) {
      return phrase;
    }
  }
  return "Unknown";
}

std::string sanitizeForLog(const std::string& text) {
  std::string out;
  for (const char c : text.substr(0, 200)) {
    const auto b = static_cast<unsigned char>(c);
    out += (b < 0x21 || b > 0x7e || c == '"') ? '?' : c;
  }
  return out;
}

}  // namespace chipmunk::api
