// SPDX-License-Identifier: MIT
#include "common/utf8.hpp"

#include <algorithm>
#include <cstdio>

namespace chipmunk {
namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes the sequence at text[i]: its length, or 0 when it is malformed.
size_t decode(std::string_view text, size_t i, uint32_t& codePoint) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    codePoint = lead;
    return 1;
  }
  size_t length = 0;
  uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {  // C0 and C1 would be overlong
    length = 2;
    min = 0x80;
    codePoint = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    min = 0x800;
    codePoint = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    min = 0x10000;
    codePoint = lead & 0x07;
  } else {
    return 0;  // a continuation byte, or a lead byte RFC 3629 does not allow
  }
  if (text.size() - i < length) {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    codePoint = (codePoint << 6) | (byte(i + k) & 0x3F);
  }
  if (codePoint < min || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
    return 0;
  }
  return length;
}

}  // namespace

bool isUnsafeTextCharacter(uint32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

std::optional<size_t> safeTextLength(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    uint32_t c = 0;
    const size_t n = decode(text, i, c);
    if (n == 0 || isUnsafeTextCharacter(c)) {
      return std::nullopt;
    }
    i += n;
  }
  return count;
}

std::string sanitizeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    const size_t n = decode(text, i, c);
    if (n == 0 || isUnsafeTextCharacter(c)) {
      out += kReplacement;
      i += n == 0 ? 1 : n;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

std::string escapeText(std::string_view text, size_t maxBytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), maxBytes) + 16);
  size_t i = 0;
  std::string piece;
  while (i < text.size()) {
    uint32_t c = 0;
    const size_t n = decode(text, i, c);
    piece.clear();
    if (n == 0 || (c < 0x80 && isUnsafeTextCharacter(c))) {
      const auto b = static_cast<unsigned char>(text[i]);
      if (b == '\n') {
        piece = "\\n";
      } else if (b == '\r') {
        piece = "\\r";
      } else if (b == '\t') {
        piece = "\\t";
      } else {
        piece = {'\\', 'x', kHex[b >> 4], kHex[b & 15]};
      }
    } else if (isUnsafeTextCharacter(c)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(c));
      piece = buf;
    } else {
      piece.assign(text.data() + i, n);
    }
    if (out.size() + piece.size() > maxBytes) {
      break;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  if (i < text.size()) {
    out += "...(" + std::to_string(text.size() - i) + " more bytes)";
  }
  return out;
}

}  // namespace chipmunk
