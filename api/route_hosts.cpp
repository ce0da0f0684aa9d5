// SPDX-License-Identifier: MIT
// /hosts, /hosts/<name> and / (the address book page): the records the caller may read,
// one page at a time (api/host_pages.cpp), as JSON or rendered into the page
// (api/yellow_pages.cpp).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "api/host_pages.hpp"
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

// One record the caller may read; nullopt when it is not there for the caller (unknown and
// foreign alike). A record no longer configured is nobody's.
std::optional<HostRecord> readableRecord(const RouteCall& call, const std::string& name) {
  const std::string key = ownerOf(call.config, name).empty() ? lowercase(name) : name;
  const std::string owner = ownerOf(call.config, key);
  if (!call.config.mayReadRecordsOf(call.user, owner)) {
    return std::nullopt;
  }
  return call.store.get(key);
}

std::string recordsJson(const RouteCall& call, const std::vector<HostRecord>& records) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& r : records) {
    writeRecord(w, call, r);
  }
  w.EndArray();
  return buf.GetString();
}

// GET /hosts: {"hosts": [one page of records], "next": cursor or null, "version": what the
// caller may see (ETag too)}, and a Link header. With wait=N&since=V and V still the
// version: a Response the HTTP layer holds (WatchHub) instead.
Response hostsPage(const RouteCall& call) {
  PageRequest request;
  WatchRequest watch;
  std::string error = parsePageRequest(call.request.query, false, request);
  if (error.empty()) {
    error = parseWatchRequest(call.request.query, request, watch);
  }
  if (!error.empty()) {
    return plain(400, error);
  }
  // Before the page is read: a change while it is read moves the version past this one.
  const std::string version = visibleVersion(call.config, *call.watch, call.user);
  if (watch.seconds > 0 && watch.since == version) {
    Response held;
    held.code = 304;
    held.watchSeconds = watch.seconds;
    held.watchSince = version;
    held.extraHeaders = "ETag: \"" + version + "\"\r\n";
    return held;
  }
  const RecordPage page = readPage(call, request);
  std::string body = "{\"hosts\":" + recordsJson(call, page.records) + ",\"next\":";
  body += page.next.empty() ? "null" : "\"" + page.next + "\"";  // base64url: no escaping
  body += ",\"version\":\"" + version + "\"";                    // hex, digits and '-': no escaping
  Response r = json(200, body + "}");
  r.extraHeaders += "ETag: \"" + version + "\"\r\n";
  if (!page.next.empty()) {
    r.extraHeaders += "Link: </hosts?limit=" + std::to_string(request.limit) +
                      "&cursor=" + page.next + ">; rel=\"next\"\r\n";
  }
  return r;
}

Response oneHost(const RouteCall& call, const std::string& name) {
  const auto record = readableRecord(call, name);
  if (!record) {
    return plain(404, "Not Found");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeRecord(w, call, *record);
  return json(200, buf.GetString());
}

}  // namespace

Response answerHosts(RouteCall& call) {
  const std::string& path = call.request.path;  // "/hosts" or "/hosts/<name>"
  Response r = path.size() > 7 ? oneHost(call, path.substr(7)) : hostsPage(call);
  // Not for other sites' <script> or <img> (their reads are cross-origin: no CORS).
  r.extraHeaders += "Cross-Origin-Resource-Policy: same-origin\r\n";
  return r;
}

Response answerPage(RouteCall& call) {
  PageRequest request;
  const std::string error = parsePageRequest(call.request.query, true, request);
  if (!error.empty()) {
    return plain(400, error);
  }
  const RecordPage page = readPage(call, request);
  PageLinks links;
  links.limit = request.limit;
  links.cursor = request.cursor;
  links.next = page.next;
  links.back = request.back;
  Response r;
  r.contentType = "text/html; charset=utf-8";
  r.body = yellowPagesHtml(recordsJson(call, page.records), links);
  r.extraHeaders =
      "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n"
      "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
      "Cross-Origin-Resource-Policy: same-origin\r\n";
  return r;
}

}  // namespace chipmunk::api
