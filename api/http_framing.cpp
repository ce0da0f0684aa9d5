// SPDX-License-Identifier: MIT
#include "api/http_framing.hpp"

#include <strings.h>

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

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool named(std::string_view name, const char* lower) {
  const size_t n = std::char_traits<char>::length(lower);
  return name.size() == n && strncasecmp(name.data(), lower, n) == 0;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool percentDecode(std::string_view in, bool plusIsSpace, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += plusIsSpace && in[i] == '+' ? ' ' : in[i];
      continue;
    }
    if (i + 2 >= in.size() || hexValue(in[i + 1]) < 0 || hexValue(in[i + 2]) < 0) {
      return false;
    }
    out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
    i += 2;
  }
  return true;
}

}  // namespace

void HeadScanner::scan(const char* data, size_t size) {
  for (size_t k = 0; k < size && headEnd_ == npos && !bad_; ++k) {
    const char c = data[k];
    const size_t i = scanned_++;
    if (afterCr_) {
      afterCr_ = false;
      if (c != '\n') {
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
    } else if (c == '\n') {
      bad_ = true;
    } else if (c == '\r') {
      afterCr_ = true;
    }
  }
}

int checkRequestHead(std::string_view head, RequestHead& out) {
  constexpr int kBad = 400;
  out = RequestHead{};
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) {
    return kBad;
  }
  // request-line = method SP request-target SP HTTP-version, single spaces.
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return kBad;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || !isTarget(target) || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return kBad;
  }
  out.method = method;
  out.target = target;

  int contentLengths = 0;
  int transferEncodings = 0;
  int hosts = 0;
  int authorizations = 0;
  int contentTypes = 0;
  std::string_view contentLength;
  size_t pos = eol + 2;
  for (;;) {
    eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      return kBad;  // the head must end with an empty line
    }
    if (eol == pos) {
      pos += 2;
      break;
    }
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 2;
    // A leading SP or HTAB is obs-fold (RFC 9112 section 5.2); whitespace or anything else
    // that is not a token before the colon is refused by section 5.1.
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) {
      return kBad;
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = field.substr(colon + 1);
    if (!isToken(name) || !isFieldValue(value)) {
      return kBad;
    }
    if (named(name, "content-length")) {
      ++contentLengths;
      contentLength = trimOws(value);
    } else if (named(name, "transfer-encoding")) {
      ++transferEncodings;
    } else if (named(name, "host")) {
      ++hosts;
    } else if (named(name, "authorization")) {
      ++authorizations;
    } else if (named(name, "content-type")) {
      ++contentTypes;
    }
  }
  if (pos != head.size()) {
    return kBad;  // bytes after the empty line are not part of a head
  }
  // One Host for HTTP/1.1 (RFC 9112 section 3.2); one set of credentials and one media type:
  // with two, which one counts would depend on the parser.
  if ((version == "HTTP/1.1" && hosts == 0) || hosts > 1 || authorizations > 1 ||
      contentTypes > 1) {
    return kBad;
  }
  // RFC 9112 section 6.3: Content-Length with Transfer-Encoding is a smuggling attempt;
  // several Content-Length lines, or a list ("5, 6", even "5, 5"), are refused rather than
  // reconciled. A chunked body alone is 411: Pistache would reserve each chunk's claimed
  // size, and no client of ours sends one (the section lets a server ask for a length).
  if (transferEncodings > 0) {
    return contentLengths > 0 ? kBad : 411;
  }
  if (contentLengths > 1) {
    return kBad;
  }
  if (contentLengths == 1) {
    if (contentLength.empty() || contentLength.size() > 19 ||
        contentLength.find_first_not_of("0123456789") != std::string_view::npos) {
      return kBad;
    }
    unsigned long long n = 0;
    for (const char c : contentLength) {
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    out.contentLength = n;
  }
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

bool appendUrlEncoded(std::string_view text, bool plusIsSpace,
                      std::vector<std::pair<std::string, std::string>>& fields) {
  bool ok = true;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view item = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (item.empty()) {
      continue;
    }
    const size_t eq = item.find('=');
    std::string key;
    std::string value;
    if (!percentDecode(item.substr(0, eq), plusIsSpace, key) ||
        (eq != std::string_view::npos && !percentDecode(item.substr(eq + 1), plusIsSpace, value))) {
      ok = false;
      continue;
    }
    fields.emplace_back(std::move(key), std::move(value));
  }
  return ok;
}

bool parseQuery(std::string_view target, std::vector<std::pair<std::string, std::string>>& fields) {
  fields.clear();
  const size_t question = target.find('?');
  return question == std::string_view::npos ||
         appendUrlEncoded(target.substr(question + 1), false, fields);
}

}  // namespace chipmunk::api
