// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/builtin_sources.hpp"
#include "updater/discovery.hpp"

namespace chipmunk::updater {

// Where the built-ins go instead of the internet, from the test-only environment variable
// config::kBuiltinOverrideVariable: "https4=http://127.0.0.1:P,https6=http://[::1]:P,
// dns4=127.0.0.1:P,dns6=[::1]:P". An HTTPS built-in's URL becomes <https4 or https6> + "/" +
// <its name> + <its path and query>; a DNS built-in asks dns4 or dns6. A kind the variable
// does not name fails rather than reach the real server.
struct BuiltinOverride {
  std::map<std::string, std::string> targets;  // "https4" -> base URL, ...
};
// The override the environment sets, or nullopt (the real servers).
std::optional<BuiltinOverride> builtinOverrideFromEnvironment();
std::optional<BuiltinOverride> parseBuiltinOverride(const std::string& text);

// The URL a row is asked at (the override applied).
std::optional<std::string> builtinUrl(const config::BuiltinSource& row,
                                      const std::optional<BuiltinOverride>& override);

// The address text in a built-in's answer, per its row's kind (the address itself is
// checked afterwards, like every source's).
std::optional<std::string> readHttpAnswer(const config::BuiltinSource& row, const std::string& body,
                                          std::string& error);
std::optional<std::string> readDnsAnswer(const config::BuiltinSource& row,
                                         const std::vector<std::string>& records,
                                         std::string& error);

// The built-in named `name` (its IPv4 and IPv6 rows).
std::unique_ptr<IpSource> makeBuiltinSource(const std::string& name,
                                            const providers::HttpOptions& http,
                                            const std::optional<BuiltinOverride>& override);

// Who runs the built-in `name` ("" if there is none).
std::string builtinOperator(const std::string& name);

}  // namespace chipmunk::updater
