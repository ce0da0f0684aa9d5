// SPDX-License-Identifier: MIT
#include "api/record_json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"

namespace chipmunk::api {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void writeMetadata(JsonWriter& w, const Metadata& metadata) {
  w.StartObject();
  for (const auto& [key, value] : metadata) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  w.EndObject();
}

Metadata readMetadata(const rapidjson::Value& object) {
  Metadata out;
  for (const auto& m : object.GetObject()) {
    if (m.value.IsString()) {
      out[{m.name.GetString(), m.name.GetStringLength()}] = {m.value.GetString(),
                                                             m.value.GetStringLength()};
    }
  }
  return out;
}

}  // namespace

std::string recordToJson(const HostRecord& record) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("name");
  w.String(record.name.data(), static_cast<rapidjson::SizeType>(record.name.size()));
  const std::pair<const char*, const std::optional<IpAddress>*> addresses[] = {
      {"ip", &record.ip}, {"ipv4", &record.ipv4}, {"ipv6", &record.ipv6}};
  for (const auto& [key, value] : addresses) {
    w.Key(key);
    *value ? w.String((*value)->toString().c_str()) : w.Null();
  }
  const std::pair<const char*, int64_t> numbers[] = {{"first_seen", record.firstSeen},
                                                     {"changed_at", record.changedAt},
                                                     {"last_seen", record.lastSeen},
                                                     {"ttl", record.ttl},
                                                     {"expired_at", record.expiredAt}};
  for (const auto& [key, value] : numbers) {
    w.Key(key);
    w.Int64(value);
  }
  w.Key("expired");
  w.Bool(record.expired);
  w.Key("metadata");
  writeMetadata(w, record.metadata);
  w.EndObject();
  return buf.GetString();
}

std::string metadataToJson(const Metadata& metadata) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeMetadata(w, metadata);
  return buf.GetString();
}

std::optional<HostRecord> recordFromJson(std::string_view text) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    return std::nullopt;
  }
  const auto name = doc.FindMember("name");
  if (name == doc.MemberEnd() || !name->value.IsString()) {
    return std::nullopt;
  }
  HostRecord r;
  r.name = {name->value.GetString(), name->value.GetStringLength()};
  auto ip = [&](const char* key) -> std::optional<IpAddress> {
    const auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsString() ? IpAddress::parse(it->value.GetString())
                                                         : std::nullopt;
  };
  auto number = [&](const char* key) -> int64_t {
    const auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  };
  r.ip = ip("ip");
  r.ipv4 = ip("ipv4");
  r.ipv6 = ip("ipv6");
  r.firstSeen = number("first_seen");
  r.changedAt = number("changed_at");
  r.lastSeen = number("last_seen");
  r.ttl = number("ttl");
  r.expiredAt = number("expired_at");
  const auto expired = doc.FindMember("expired");
  r.expired = expired != doc.MemberEnd() && expired->value.IsBool() && expired->value.GetBool();
  const auto meta = doc.FindMember("metadata");
  if (meta != doc.MemberEnd() && meta->value.IsObject()) {
    r.metadata = readMetadata(meta->value);
  }
  return r;
}

std::optional<Metadata> metadataFromJson(std::string_view text) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    return std::nullopt;
  }
  return readMetadata(doc);
}

}  // namespace chipmunk::api
