// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-updater's built-in discovery sources: one row per source and family. Used when the
// config names no source, and nameable in [Discovery] order. docs/UPDATER.md's table is
// generated from these rows (scripts/update-updater-doc.sh), so the list cannot drift.

#include <string>
#include <vector>

namespace chipmunk::config {

// How a built-in reads its answer.
enum class BuiltinAnswer {
  kText,        // HTTPS: the body is the address alone
  kJson,        // HTTPS: a JSON object; `field` names the address
  kKeyValue,    // HTTPS: "key=value" lines (Cloudflare's /cdn-cgi/trace); `field` is the key
  kDnsAddress,  // DNS: the A or AAAA records of the question
  kDnsTxt,      // DNS: a TXT record holding the address
};

struct BuiltinSource {
  std::string name;       // as [Discovery] order names it
  std::string operator_;  // who runs it: consensus counts operators, not sources
  bool ipv6 = false;      // the family asked (and the family the question travels over)
  BuiltinAnswer answer = BuiltinAnswer::kText;
  std::string url;    // HTTPS sources
  std::string field;  // kJson: the field; kKeyValue: the key
  // DNS sources: the question, sent without recursion to `server` (an address of the
  // operator's authoritative server, of the row's family), port 53.
  std::string qname;
  std::string qtype;   // A, AAAA or TXT
  std::string qclass;  // IN or CH
  std::string server;
  std::string documentation;  // where the operator documents it
};

// Every row, in the default order: DNS first (one small UDP exchange, no TLS library to load),
// then HTTPS.
const std::vector<BuiltinSource>& builtinSources();

// True when `name` (any case) names a built-in source.
bool isBuiltinSource(const std::string& name);

// The test-only environment variable that points the built-ins at loopback servers
// (docs/UPDATER.md, "Discovery without configuration").
inline constexpr const char* kBuiltinOverrideVariable = "CHIPMUNK_TEST_BUILTIN_OVERRIDE";

}  // namespace chipmunk::config
