// SPDX-License-Identifier: MIT
#include "providers/sync_state.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <climits>

#include "common/json.hpp"

namespace chipmunk::providers {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeState(Writer& w, const std::string& record, const SyncState& s) {
  const auto text = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  const auto number = [&w](const char* key, long long value) {
    w.Key(key);
    w.Int64(value);
  };
  w.StartObject();
  number("format", kSyncStateFormat);
  text("record", record);
  text("key", s.key);
  text("ip", s.ip);
  number("pushed_at", s.pushedAt);
  number("attempted_at", s.attemptedAt);
  text("last_result", s.lastResult);
  text("detail", s.detail.substr(0, 300));
  number("failures", s.failures);
  text("stopped", s.stopped);
  if (!s.lastError.empty()) {
    text("last_error", s.lastError.substr(0, 300));
    number("error_at", s.errorAt);
  }
  if (s.verifiedAt > 0) {
    number("verified_at", s.verifiedAt);
  }
  if (s.nextAt > 0) {
    number("next_at", s.nextAt);
  }
  if (!s.notified.empty()) {
    text("notified", s.notified.substr(0, 20));
  }
  w.EndObject();
}

SyncState readState(const rapidjson::Value& v) {
  SyncState s;
  const auto str = [&v](const char* key, std::string& out) {
    const auto it = v.FindMember(key);
    if (it != v.MemberEnd() && it->value.IsString()) {
      out = it->value.GetString();
    }
  };
  // Times are seconds since the epoch: a negative one (a damaged or hand-edited file) is
  // none, so that no later arithmetic on it can overflow.
  const auto num = [&v](const char* key, long long& out) {
    const auto it = v.FindMember(key);
    if (it != v.MemberEnd() && it->value.IsInt64() && it->value.GetInt64() >= 0) {
      out = it->value.GetInt64();
    }
  };
  str("fingerprint", s.key);  // format 1 (the updater's)
  str("key", s.key);          // format 2, and gateway push's old file
  str("ip", s.ip);
  num("pushed_at", s.pushedAt);
  num("attempted_at", s.attemptedAt);
  str("last_result", s.lastResult);
  str("detail", s.detail);
  long long failures = 0;
  num("failures", failures);
  s.failures = static_cast<int>(std::min<long long>(failures, INT_MAX));
  str("stopped", s.stopped);
  str("last_error", s.lastError);
  num("error_at", s.errorAt);
  num("verified_at", s.verifiedAt);
  num("next_at", s.nextAt);
  str("notified", s.notified);
  return s;
}

}  // namespace

std::string formatSyncState(const std::string& record, const SyncState& state) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  writeState(w, record, state);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::optional<SyncState> parseSyncState(std::string_view text) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    return std::nullopt;
  }
  return readState(doc);
}

std::string formatSyncStates(const std::map<std::string, SyncState>& states) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  for (const auto& [record, state] : states) {
    w.Key(record.c_str(), static_cast<rapidjson::SizeType>(record.size()));
    writeState(w, record, state);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::optional<std::map<std::string, SyncState>> parseSyncStates(std::string_view text,
                                                                std::string& error) {
  rapidjson::Document doc;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    if (error.empty()) {
      error = "not an object";
    }
    return std::nullopt;
  }
  std::map<std::string, SyncState> states;
  for (const auto& member : doc.GetObject()) {
    if (member.value.IsObject()) {
      states[member.name.GetString()] = readState(member.value);
    }
  }
  return states;
}

}  // namespace chipmunk::providers
