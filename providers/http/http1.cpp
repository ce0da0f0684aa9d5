// SPDX-License-Identifier: MIT
#include "providers/http/http1.hpp"

#include <algorithm>
#include <cctype>

#include "common/base64.hpp"
#include "common/strings.hpp"

namespace chipmunk::providers::http {
namespace {

bool allDigits(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A header line we refuse: empty, folded (obs-fold), no name, white space before the colon
// or a stray CR, LF or NUL.
bool malformedLine(const std::string& line, size_t colon) {
  return line.empty() || line.front() == ' ' || line.front() == '\t' ||
         colon == std::string::npos || colon == 0 || line[colon - 1] == ' ' ||
         line[colon - 1] == '\t' || line.find_first_of(std::string("\r\n\0", 3)) != line.npos;
}

// The framing once the header fields are read; false with `error` set when it is ambiguous.
bool chooseFraming(const std::vector<std::string>& lengths, const std::string& codings,
                   const std::string& method, int status, size_t maxBody, BodyFraming& framing,
                   std::string& error) {
  if (!codings.empty() && !lengths.empty()) {
    error = "reply with both Content-Length and Transfer-Encoding";
    return false;
  }
  for (const auto& cl : lengths) {
    if (cl != lengths.front() || cl.empty() || cl.size() > 12 || !allDigits(cl)) {
      error = "bad Content-Length";
      return false;
    }
  }
  const auto te = splitComma(codings);
  if (method == "HEAD" || status == 204 || status == 304) {
    framing.kind = Framing::kNone;
  } else if (!te.empty()) {
    // Chunked only as the last coding; otherwise the reply ends when the connection does.
    framing.kind = te.back() == "chunked" ? Framing::kChunked : Framing::kClose;
  } else if (!lengths.empty()) {
    framing.contentLength = std::stoull(lengths.front());
    if (framing.contentLength > maxBody) {
      error = "reply larger than " + std::to_string(maxBody) + " bytes";
      return false;
    }
    framing.kind = Framing::kLength;
  } else {
    framing.kind = Framing::kClose;
  }
  return true;
}

}  // namespace

bool requestMessage(const HttpRequest& request, const HttpUrl& url, std::string& out,
                    std::string& error) {
  out = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.hostHeader +
        "\r\nUser-Agent: " + userAgent() + "\r\nAccept: */*\r\nConnection: close\r\n";
  if (request.basicAuth) {
    out += "Authorization: Basic " +
           base64Encode(request.basicAuth->first + ":" + request.basicAuth->second) + "\r\n";
  }
  for (const auto& [name, value] : request.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      error = "header with a line break";
      return false;
    }
    out += name + ": " + value + "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += "\r\n" + request.body;
  return true;
}

std::optional<int> parseStatusLine(const std::string& head) {
  const std::string statusLine = head.substr(0, head.find("\r\n"));
  if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12 ||
      !std::isdigit(static_cast<unsigned char>(statusLine[9]))) {
    return std::nullopt;
  }
  return std::stoi(statusLine.substr(9, 3));
}

bool parseHeaderFields(const std::string& head, const std::string& method, size_t maxBody,
                       HttpResponse& response, BodyFraming& framing, std::string& error) {
  const auto firstEol = head.find("\r\n");
  size_t pos = firstEol == std::string::npos ? head.size() : firstEol + 2;
  // Every Content-Length value (list items too) and the Transfer-Encoding codings: a reply
  // whose length two parsers could read differently is refused (RFC 9112 sections 5.1, 5.2
  // and 6.3), whatever "last one wins" would have made of it.
  std::vector<std::string> lengths;
  std::string codings;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string::npos) {
      eol = head.size();
    }
    const std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const auto colon = line.find(':');
    if (malformedLine(line, colon)) {
      error = "malformed reply header";
      return false;
    }
    const std::string name = lowercase(line.substr(0, colon));
    const std::string value(trimAscii(std::string_view(line).substr(colon + 1)));
    if (name == "content-length") {
      for (const auto& item : splitComma(value)) {
        lengths.push_back(item);
      }
    } else if (name == "transfer-encoding") {
      codings += (codings.empty() ? "" : ",") + lowercase(value);
    }
    response.headers[name] = value;
  }
  return chooseFraming(lengths, codings, method, response.status, maxBody, framing, error);
}

bool decodeChunked(const std::string& raw, std::string& out, bool& complete) {
  out.clear();
  complete = false;
  size_t pos = 0;
  for (;;) {
    const auto eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) {
      return true;  // need more
    }
    std::string sizeText = raw.substr(pos, eol - pos);
    sizeText = std::string(trimAscii(sizeText.substr(0, sizeText.find(';'))));
    if (sizeText.empty() || sizeText.size() > 8 ||
        !std::all_of(sizeText.begin(), sizeText.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; })) {
      return false;
    }
    const size_t size = std::stoul(sizeText, nullptr, 16);
    pos = eol + 2;
    if (size == 0) {
      complete = true;  // trailers, if any, are ignored
      return true;
    }
    if (raw.size() < pos + size + 2) {
      return true;  // need more
    }
    out.append(raw, pos, size);
    pos += size + 2;
  }
}

std::vector<std::string> splitComma(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) {
      comma = value.size();
    }
    std::string item(trimAscii(std::string_view(value).substr(start, comma - start)));
    if (!item.empty()) {
      out.push_back(std::move(item));
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace chipmunk::providers::http
