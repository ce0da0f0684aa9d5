// SPDX-License-Identifier: MIT
// /hosts, /hosts/<name> and / (the address book page): the records the caller may read,
// as JSON or rendered into the page (api/yellow_pages.cpp).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "api/routes.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"

namespace chipmunk::api {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string rfc3339(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Text from the store goes out as valid UTF-8 whatever is on disk (a file another program
// wrote): one bad byte would make the whole answer unreadable for every client.
void writeText(JsonWriter& w, const std::string& s) {
  const std::string clean = sanitizeText(s);
  w.String(clean.c_str(), static_cast<rapidjson::SizeType>(clean.size()));
}

void writeIp(JsonWriter& w, const char* key, const std::optional<IpAddress>& value, bool expired) {
  w.Key(key);
  value && !expired ? w.String(value->toString().c_str()) : w.Null();
}

void writeTime(JsonWriter& w, const char* key, int64_t t) {
  w.Key(key);
  t > 0 ? w.String(rfc3339(t).c_str()) : w.Null();
}

void writeRecord(JsonWriter& w, const RouteCall& call, const HostRecord& r) {
  w.StartObject();
  w.Key("name");
  writeText(w, r.name);
  w.Key("owner");
  writeText(w, ownerOf(call.config, r.name));
  writeIp(w, "ip", r.ip, r.expired);
  writeIp(w, "ipv4", r.ipv4, r.expired);
  writeIp(w, "ipv6", r.ipv6, r.expired);
  writeTime(w, "first_seen", r.firstSeen);
  writeTime(w, "changed_at", r.changedAt);
  writeTime(w, "last_seen", r.lastSeen);
  w.Key("seen_seconds_ago");
  r.lastSeen > 0 ? w.Int64(std::max<int64_t>(0, call.now - r.lastSeen)) : w.Null();
  w.Key("stale");
  w.Bool(r.lastSeen == 0 || call.now - r.lastSeen >= call.config.staleAfter.count());
  w.Key("ttl");
  w.Int64(r.ttl);
  w.Key("expired");
  w.Bool(r.expired);
  writeTime(w, "expired_at", r.expiredAt);
  w.Key("metadata");
  w.StartObject();
  for (const auto& [k, v] : r.metadata) {
    writeText(w, k);  // a key is a string too
    writeText(w, v);
  }
  w.EndObject();
  w.EndObject();
}

// The records the caller may read: all of them (name empty) or the one named; a record no
// longer configured is nobody's. nullopt: the one named is not there for the caller.
std::optional<std::vector<HostRecord>> readableRecords(const RouteCall& call,
                                                       const std::string& name) {
  const bool all = call.config.mayReadAll(call.user);
  const auto owned = call.config.namesOwnedBy(call.user);
  auto readable = [&](const std::string& n) {
    if (ownerOf(call.config, n).empty()) {
      return false;  // not (or no longer) configured
    }
    return all || std::find(owned.begin(), owned.end(), n) != owned.end();
  };
  std::vector<HostRecord> records;
  if (name.empty()) {
    for (auto& r : call.store.list()) {
      if (readable(r.name)) {
        records.push_back(std::move(r));
      }
    }
    return records;
  }
  const std::string key = ownerOf(call.config, name).empty() ? lowercase(name) : name;
  auto r = readable(key) ? call.store.get(key) : std::nullopt;
  if (!r) {
    return std::nullopt;
  }
  records.push_back(std::move(*r));
  return records;
}

// The /hosts answer: an array of every readable record (name empty), or the one named.
Response hostsJson(const RouteCall& call, const std::string& name) {
  const auto records = readableRecords(call, name);
  if (!records) {
    return plain(404, "Not Found");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (name.empty()) {
    w.StartArray();
    for (const auto& r : *records) {
      writeRecord(w, call, r);
    }
    w.EndArray();
  } else {
    writeRecord(w, call, records->front());
  }
  return json(200, buf.GetString());
}

}  // namespace

Response answerHosts(RouteCall& call) {
  const std::string& path = call.request.path;  // "/hosts" or "/hosts/<name>"
  Response r = hostsJson(call, path.size() > 7 ? path.substr(7) : "");
  // Not for other sites' <script> or <img> (their reads are cross-origin: no CORS).
  r.extraHeaders += "Cross-Origin-Resource-Policy: same-origin\r\n";
  return r;
}

Response answerPage(RouteCall& call) {
  Response r;
  r.contentType = "text/html; charset=utf-8";
  r.body = yellowPagesHtml(hostsJson(call, "").body);
  r.extraHeaders =
      "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n"
      "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
      "Cross-Origin-Resource-Policy: same-origin\r\n";
  return r;
}

}  // namespace chipmunk::api
