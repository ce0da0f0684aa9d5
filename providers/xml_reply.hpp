// SPDX-License-Identifier: MIT
#pragma once

// A small, bounded reader of the XML that REST APIs answer with (Route 53): elements, their
// text and nothing else. It is not a general XML parser: attributes are skipped, namespace
// prefixes dropped, and a document type declaration (and with it every entity definition)
// or a CDATA section is refused, as are more than kMaxXmlElements elements, nesting deeper
// than kMaxXmlDepth or text longer than kMaxXmlBytes. No recursion: the elements are kept
// in one vector, each pointing at its children by index.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace chipmunk::providers::xml {

inline constexpr size_t kMaxXmlBytes = 1024 * 1024;
inline constexpr size_t kMaxXmlDepth = 32;
inline constexpr size_t kMaxXmlElements = 20000;

struct Element {
  std::string name;              // local name: "a:Code" -> "Code"
  std::string text;              // character data directly inside, entities decoded
  std::vector<size_t> children;  // indexes into Document::elements()
};

class Document {
 public:
  // Reads `text`; false with the reason in `error` (the document is then empty).
  bool parse(std::string_view text, std::string& error);

  // The root element; nullptr before a successful parse.
  const Element* root() const { return elements_.empty() ? nullptr : &elements_.front(); }
  // The first child of `parent` named `name`, or nullptr.
  const Element* child(const Element& parent, std::string_view name) const;
  // Every child of `parent` named `name`, in document order.
  std::vector<const Element*> children(const Element& parent, std::string_view name) const;
  // The element at `path` below `from` (first match at each step), or nullptr.
  const Element* find(const Element& from, std::initializer_list<std::string_view> path) const;
  // Its text, or "" when there is no such element.
  std::string text(const Element& from, std::initializer_list<std::string_view> path) const;

 private:
  std::vector<Element> elements_;
};

}  // namespace chipmunk::providers::xml
