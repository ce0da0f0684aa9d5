// SPDX-License-Identifier: MIT
// The bounded XML reader (providers/xml_reply) that route53 reads its replies with: any input
// is read or refused, never a crash; an accepted document keeps its bounds, and every element
// the lookups reach is one of its own.
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/xml_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk::providers::xml;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Document doc;
  std::string error;
  if (!doc.parse(text, error)) {
    if (doc.root() != nullptr || error.empty()) {
      std::abort();
    }
    return 0;
  }
  const Element* root = doc.root();
  if (root == nullptr || root->text.size() > size) {
    std::abort();
  }
  // The lookups route53 makes, on whatever came.
  doc.text(*root, {"Error", "Code"});
  doc.text(*root, {"ChangeInfo", "Id"});
  if (const Element* sets = doc.find(*root, {"ResourceRecordSets"})) {
    for (const Element* set : doc.children(*sets, "ResourceRecordSet")) {
      doc.text(*set, {"ResourceRecords", "ResourceRecord", "Value"});
    }
  }
  // Nesting deeper than the bound is refused, whatever precedes it.
  std::string deep;
  for (size_t i = 0; i <= kMaxXmlDepth; ++i) {
    deep += "<a>";
  }
  if (doc.parse(deep + std::string(text), error)) {
    std::abort();
  }
  return 0;
}
