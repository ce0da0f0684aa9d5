// SPDX-License-Identifier: MIT
#include "api/http_wire.hpp"

#include <cstring>

#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"

namespace chipmunk::api {
namespace {

// RFC 9110 section 5.6.2.
bool isTchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (!isTchar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// field-value characters (RFC 9110 section 5.5): VCHAR, SP, HTAB and obs-text; never NUL,
// another control character or DEL.
bool isFieldValue(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return false;
    }
  }
  return true;
}

// A request-target (RFC 9112 section 3.2): visible ASCII, no fragment.
bool isTarget(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#') {
      return false;
    }
  }
  return true;
}

// `name` is `lower` in any case (ASCII; `lower` is a lower-case header name).
bool named(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c) != lower[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void HeadScanner::scan(const char* data, size_t size) {
  // From CR to CR with memchr, not byte by byte: between two line ends only a CR can end a
  // line, and an LF before it is a bare LF.
  size_t k = 0;
  while (k < size && headEnd_ == npos && !bad_) {
    if (afterCr_) {
      afterCr_ = false;
      const size_t i = scanned_ + k++;
      if (data[k - 1] != '\n') {
        bad_ = true;
        break;
      }
      if (lineEnd_ == npos) {
        lineEnd_ = i + 1;
      }
      // An empty line ends the head (an empty first line is refused by checkRequestHead).
      if (i + 1 - lineStart_ == 2) {
        headEnd_ = i + 1;
      }
      lineStart_ = i + 1;
      continue;
    }
    const auto* cr = static_cast<const char*>(std::memchr(data + k, '\r', size - k));
    const size_t stop = cr != nullptr ? static_cast<size_t>(cr - data) : size;
    if (const void* lf = std::memchr(data + k, '\n', stop - k)) {
      k = static_cast<size_t>(static_cast<const char*>(lf) - data) + 1;
      bad_ = true;
      break;
    }
    k = cr != nullptr ? stop + 1 : size;
    afterCr_ = cr != nullptr;
  }
  scanned_ += k;
}

namespace {

// request-line = method SP request-target SP HTTP-version, single spaces. Returns where the
// header lines start, or npos when the line is refused.
size_t readRequestLine(std::string_view head, RequestHead& out, std::string_view& version) {
  const size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) {
    return std::string_view::npos;
  }
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return std::string_view::npos;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  version = line.substr(sp2 + 1);
  if (!isToken(method) || !isTarget(target) || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return std::string_view::npos;
  }
  out.method = method;
  out.target = target;
  out.http10 = version == "HTTP/1.0";
  return eol + 2;
}

// How often the header lines that decide framing or meaning appear.
struct FieldCounts {
  int contentLengths = 0;
  int transferEncodings = 0;
  int hosts = 0;
  int authorizations = 0;
  int contentTypes = 0;
  bool badDate = false;
  std::string_view contentLength;  // the last one's value
  std::string_view host;           // the last one's value
};

// Where readRequestHead files the header lines (nothing for checkRequestHead).
struct FieldSink {
  RequestInfo* info = nullptr;
  std::optional<std::string>* connection = nullptr;
};

// uri-host [ ":" port ] (RFC 9112 section 3.2; RFC 3986 section 3.2.2): an IP literal in
// brackets, or a name without a colon; the port all digits, at most 65535.
bool isHostValue(std::string_view host) {
  size_t portColon = std::string_view::npos;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        return false;
      }
      portColon = close + 1;
    }
  } else {
    portColon = host.find(':');
  }
  if (portColon == std::string_view::npos) {
    return true;
  }
  const std::string_view port = host.substr(portColon + 1);
  return port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos &&
         (port.empty() || std::stoul(std::string(port)) <= 65535);
}

// Reads the header lines from `pos` to the empty line that must end the head. False when a
// line is refused or the head does not end there.
bool countFields(std::string_view head, size_t pos, FieldCounts& counts, const FieldSink& sink) {
  for (;;) {
    const size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      return false;  // the head must end with an empty line
    }
    if (eol == pos) {
      return pos + 2 == head.size();  // bytes after the empty line are not part of a head
    }
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 2;
    // A leading SP or HTAB is obs-fold (RFC 9112 section 5.2); whitespace or anything else
    // that is not a token before the colon is refused by section 5.1.
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = field.substr(colon + 1);
    if (!isToken(name) || !isFieldValue(value)) {
      return false;
    }
    if (sink.info != nullptr) {
      takeHeader(name, trimAscii(value), *sink.info, *sink.connection);
    }
    if (named(name, "content-length")) {
      ++counts.contentLengths;
      counts.contentLength = trimAscii(value);
    } else if (named(name, "transfer-encoding")) {
      ++counts.transferEncodings;
    } else if (named(name, "host")) {
      ++counts.hosts;
      counts.host = trimAscii(value);
    } else if (named(name, "authorization")) {
      ++counts.authorizations;
    } else if (named(name, "content-type")) {
      ++counts.contentTypes;
    } else if (named(name, "date")) {
      // Nothing reads a request's Date; a malformed one is refused as Pistache refused it.
      const std::string_view date = trimAscii(value);
      counts.badDate =
          counts.badDate || date.size() > 64 || !providers::parseHttpDate(std::string(date));
    }
  }
}

// 0, or the status refusing what the counted lines say together.
int checkFields(const FieldCounts& counts, std::string_view version, RequestHead& out) {
  constexpr int kBad = 400;
  // One Host for HTTP/1.1 (RFC 9112 section 3.2); one set of credentials and one media type:
  // with two, which one counts would depend on the parser.
  if ((version == "HTTP/1.1" && counts.hosts == 0) || counts.hosts > 1 ||
      counts.authorizations > 1 || counts.contentTypes > 1 || counts.badDate ||
      (counts.hosts == 1 && !isHostValue(counts.host))) {
    return kBad;
  }
  // RFC 9112 section 6.3: Content-Length with Transfer-Encoding is a smuggling attempt;
  // several Content-Length lines, or a list ("5, 6", even "5, 5"), are refused rather than
  // reconciled. A chunked body alone is 411: Pistache would reserve each chunk's claimed
  // size, and no client of ours sends one (the section lets a server ask for a length).
  if (counts.transferEncodings > 0) {
    return counts.contentLengths > 0 ? kBad : 411;
  }
  if (counts.contentLengths > 1) {
    return kBad;
  }
  if (counts.contentLengths == 1) {
    const std::string_view length = counts.contentLength;
    if (length.empty() || length.size() > 19 ||
        length.find_first_not_of("0123456789") != std::string_view::npos) {
      return kBad;
    }
    unsigned long long n = 0;
    for (const char c : length) {
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    out.contentLength = n;
  }
  return 0;
}

}  // namespace

namespace {

int readHead(std::string_view head, RequestHead& out, const FieldSink& sink) {
  out = RequestHead{};
  std::string_view version;
  const size_t fields = readRequestLine(head, out, version);
  FieldCounts counts;
  if (fields == std::string_view::npos || !countFields(head, fields, counts, sink)) {
    return 400;
  }
  return checkFields(counts, version, out);
}

}  // namespace

int checkRequestHead(std::string_view head, RequestHead& out) {
  return readHead(head, out, FieldSink{});
}

int readRequestHead(std::string_view head, RequestHead& out, RequestInfo& info,
                    std::optional<std::string>& connection) {
  if (const int status = readHead(head, out, FieldSink{&info, &connection})) {
    return status;
  }
  info.methodName.assign(out.method);
  info.method = methodOf(out.method);
  info.path.assign(out.target.substr(0, out.target.find('?')));
  // From the target as sent: repeated query fields are all kept, in order.
  info.badQuery = !parseQuery(out.target, info.query);
  return 0;
}

int oversizeStatus(const HeadScanner& scanner, size_t limit) {
  if (scanner.lineEnd() == HeadScanner::npos || scanner.lineEnd() > limit) {
    return 414;
  }
  if (scanner.headEnd() == HeadScanner::npos || scanner.headEnd() > limit) {
    return 431;
  }
  return 413;
}

Method methodOf(std::string_view name) {
  if (name == "GET") {
    return Method::kGet;
  }
  if (name == "HEAD") {
    return Method::kHead;
  }
  return name == "POST" ? Method::kPost : Method::kOther;
}

namespace {

void keepFirst(std::optional<std::string>& field, std::string_view value) {
  if (!field) {
    field.emplace(value);
  }
}

void joinList(std::optional<std::string>& field, std::string_view value) {
  if (!field) {
    field.emplace(value);
  } else {
    *field += ", ";
    *field += value;
  }
}

}  // namespace

void takeHeader(std::string_view name, std::string_view value, RequestInfo& info,
                std::optional<std::string>& connection) {
  if (named(name, "authorization")) {
    keepFirst(info.authorization, value);
  } else if (named(name, "host")) {
    keepFirst(info.host, value);
  } else if (named(name, "user-agent")) {
    keepFirst(info.userAgent, value);
  } else if (named(name, "connection")) {
    joinList(connection, value);
  } else if (named(name, "content-type")) {
    keepFirst(info.contentType, value);
  } else if (named(name, "x-forwarded-for")) {
    joinList(info.xForwardedFor, value);
  } else if (named(name, "x-real-ip")) {
    joinList(info.xRealIp, value);
  } else if (named(name, "forwarded")) {
    joinList(info.forwarded, value);
  } else if (named(name, "origin")) {
    keepFirst(info.origin, value);
  } else if (named(name, "sec-fetch-site")) {
    keepFirst(info.secFetchSite, value);
  } else if (named(name, "sec-fetch-mode")) {
    keepFirst(info.secFetchMode, value);
  } else if (named(name, "sec-fetch-dest")) {
    keepFirst(info.secFetchDest, value);
  } else if (named(name, "upgrade-insecure-requests")) {
    info.upgradeInsecureRequests = true;
  }
}

bool keepsAlive(const std::optional<std::string>& connection, bool http10) {
  if (!connection) {
    return !http10;
  }
  bool close = false;
  bool keep = false;
  std::string_view rest = *connection;
  for (;;) {
    const size_t comma = rest.find(',');
    // OWS is SP and HTAB; a checked head has no CR or LF inside a value for trimAscii to take.
    const std::string_view option = trimAscii(rest.substr(0, comma));
    close = close || named(option, "close");
    keep = keep || named(option, "keep-alive");
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  return !close && (!http10 || keep);
}

}  // namespace chipmunk::api
