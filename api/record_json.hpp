// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/store.hpp"

namespace chipmunk::api {

// A HostRecord as one JSON object, the shape of the file store's <name>.json and of the
// PostgreSQL outbox's before/after columns: name, ip, ipv4, ipv6 (strings or null),
// first_seen, changed_at, last_seen, ttl, expired_at (integers), expired (bool), metadata
// (an object of strings).
std::string recordToJson(const HostRecord& record);
// The metadata object alone ({"lan_ip": "..."}).
std::string metadataToJson(const Metadata& metadata);

// Reads what recordToJson wrote (or PostgreSQL's jsonb rendering of it); nullopt when the
// text is not such an object. Unknown keys are ignored; an unparsable address is absent.
std::optional<HostRecord> recordFromJson(std::string_view text);
// Reads a metadata object; string values only (others are skipped).
std::optional<Metadata> metadataFromJson(std::string_view text);

}  // namespace chipmunk::api
