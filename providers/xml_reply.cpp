// SPDX-License-Identifier: MIT
// The bounded XML reader; see xml_reply.hpp.
#include "providers/xml_reply.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace chipmunk::providers::xml {
namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == ':' || (static_cast<unsigned char>(c) & 0x80) != 0;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity `name` (between '&' and ';') onto `out`; false when unknown.
bool decodeEntity(std::string_view name, std::string& out) {
  if (name == "lt") {
    out += '<';
  } else if (name == "gt") {
    out += '>';
  } else if (name == "amp") {
    out += '&';
  } else if (name == "quot") {
    out += '"';
  } else if (name == "apos") {
    out += '\'';
  } else if (name.size() >= 2 && name.size() <= 8 && name[0] == '#') {
    const bool hex = name[1] == 'x';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    uint32_t cp = 0;
    for (const char c : digits) {
      const int v = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                    : hex && std::isxdigit(static_cast<unsigned char>(c)) != 0
                        ? (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10)
                        : -1;
      if (v < 0) {
        return false;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (digits.empty() || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    appendUtf8(out, cp);
  } else {
    return false;
  }
  return true;
}

std::string_view localName(std::string_view name) {
  const size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The reading state: the text, the position, the open elements.
struct Reader {
  std::string_view in;
  size_t pos = 0;
  std::vector<Element>& elements;
  std::vector<size_t> open;
  std::string error;

  bool fail(const std::string& why) {
    error = why + " at byte " + std::to_string(pos);
    return false;
  }
  bool startsWith(std::string_view s) const { return in.substr(pos, s.size()) == s; }
  // Skips past `end`; false when it never comes.
  bool skipPast(std::string_view end, const char* what) {
    const size_t at = in.find(end, pos);
    if (at == std::string_view::npos) {
      return fail(std::string("unterminated ") + what);
    }
    pos = at + end.size();
    return true;
  }
  std::string_view name() {
    const size_t start = pos;
    while (pos < in.size() && isNameChar(in[pos])) {
      ++pos;
    }
    return in.substr(start, pos - start);
  }

  bool text() {
    const size_t lt = std::min(in.find('<', pos), in.size());
    for (; pos < lt; ++pos) {
      const char c = in[pos];
      if (open.empty()) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
          return fail("text outside the root element");
        }
        continue;
      }
      std::string& out = elements[open.back()].text;
      if (c != '&') {
        out += c;
        continue;
      }
      const size_t semi = in.find(';', pos);
      if (semi == std::string_view::npos || semi > lt || semi - pos > 10 ||
          !decodeEntity(in.substr(pos + 1, semi - pos - 1), out)) {
        return fail("unknown or broken entity");
      }
      pos = semi;
    }
    return true;
  }

  bool startTag() {
    ++pos;  // '<'
    const std::string_view tag = name();
    if (tag.empty()) {
      return fail("bad element name");
    }
    if (!open.empty() ? open.size() >= kMaxXmlDepth : !elements.empty()) {
      return fail(open.empty() ? "a second root element" : "nesting too deep");
    }
    if (elements.size() >= kMaxXmlElements) {
      return fail("too many elements");
    }
    // Attributes are skipped; a '>' inside a quoted value does not end the tag.
    char quote = 0;
    for (; pos < in.size() && (quote != 0 || (in[pos] != '>' && in[pos] != '<')); ++pos) {
      if (quote == 0 && (in[pos] == '"' || in[pos] == '\'')) {
        quote = in[pos];
      } else if (quote != 0 && in[pos] == quote) {
        quote = 0;
      }
    }
    if (pos >= in.size() || in[pos] != '>') {
      return fail("unterminated start tag");
    }
    const bool empty = in[pos - 1] == '/';
    ++pos;
    const size_t index = elements.size();
    elements.push_back(Element{std::string(localName(tag)), {}, {}});
    if (!open.empty()) {
      elements[open.back()].children.push_back(index);
    }
    if (!empty) {
      open.push_back(index);
    }
    return true;
  }

  bool endTag() {
    pos += 2;  // "</"
    const std::string_view tag = name();
    while (pos < in.size() && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n')) {
      ++pos;
    }
    if (pos >= in.size() || in[pos] != '>') {
      return fail("unterminated end tag");
    }
    ++pos;
    if (open.empty() || elements[open.back()].name != localName(tag)) {
      return fail("mismatched end tag");
    }
    open.pop_back();
    return true;
  }

  bool markup() {
    if (startsWith("<?")) {
      return skipPast("?>", "processing instruction");
    }
    if (startsWith("<!--")) {
      return skipPast("-->", "comment");
    }
    if (startsWith("<!")) {
      return fail("DOCTYPE and CDATA are not accepted");
    }
    return startsWith("</") ? endTag() : startTag();
  }

  bool run() {
    while (pos < in.size()) {
      if (!(in[pos] == '<' ? markup() : text())) {
        return false;
      }
    }
    if (elements.empty()) {
      return fail("no element");
    }
    return open.empty() || fail("unclosed element " + elements[open.back()].name);
  }
};

}  // namespace

bool Document::parse(std::string_view text, std::string& error) {
  elements_.clear();
  if (text.size() > kMaxXmlBytes) {
    error = "XML larger than " + std::to_string(kMaxXmlBytes) + " bytes";
    return false;
  }
  Reader reader{text, 0, elements_, {}, {}};
  if (!reader.run()) {
    error = reader.error;
    elements_.clear();
    return false;
  }
  return true;
}

const Element* Document::child(const Element& parent, std::string_view name) const {
  for (const size_t i : parent.children) {
    if (elements_[i].name == name) {
      return &elements_[i];
    }
  }
  return nullptr;
}

std::vector<const Element*> Document::children(const Element& parent, std::string_view name) const {
  std::vector<const Element*> out;
  for (const size_t i : parent.children) {
    if (elements_[i].name == name) {
      out.push_back(&elements_[i]);
    }
  }
  return out;
}

const Element* Document::find(const Element& from,
                              std::initializer_list<std::string_view> path) const {
  const Element* at = &from;
  for (const auto& step : path) {
    if ((at = child(*at, step)) == nullptr) {
      return nullptr;
    }
  }
  return at;
}

std::string Document::text(const Element& from,
                           std::initializer_list<std::string_view> path) const {
  const Element* e = find(from, path);
  return e == nullptr ? std::string() : e->text;
}

}  // namespace chipmunk::providers::xml
