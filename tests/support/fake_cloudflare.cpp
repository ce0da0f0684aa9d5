// SPDX-License-Identifier: MIT
// A fake Cloudflare API v4; see fake_cloudflare.hpp and https://developers.cloudflare.com/api/
#include "tests/support/fake_cloudflare.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "tests/support/fake_json_api.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeEnvelopeStart(Writer& w, bool success) {
  w.StartObject();
  w.Key("success");
  w.Bool(success);
  w.Key("messages");
  w.StartArray();
  w.EndArray();
}

FakeResponse errorReply(int status, const std::vector<std::pair<int, std::string>>& errors) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeEnvelopeStart(w, false);
  w.Key("errors");
  w.StartArray();
  for (const auto& [code, message] : errors) {
    w.StartObject();
    w.Key("code");
    w.Int(code);
    w.Key("message");
    w.String(message.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("result");
  w.Null();
  w.EndObject();
  FakeResponse r;
  r.status = status;
  r.body = buf.GetString();
  return r;
}

void writeRecord(Writer& w, const FakeCloudflare::DnsRecord& r, const std::string& zoneId,
                 const std::string& zoneName) {
  w.StartObject();
  w.Key("id");
  w.String(r.id.c_str());
  w.Key("zone_id");
  w.String(zoneId.c_str());
  w.Key("zone_name");
  w.String(zoneName.c_str());
  w.Key("name");
  w.String(r.name.c_str());
  w.Key("type");
  w.String(r.type.c_str());
  w.Key("content");
  w.String(r.content.c_str());
  w.Key("proxiable");
  w.Bool(true);
  w.Key("proxied");
  w.Bool(r.proxied);
  w.Key("comment");
  w.String(r.comment.c_str());
  w.Key("ttl");
  w.Int64(r.ttl);
  w.Key("locked");
  w.Bool(false);
  w.Key("created_on");
  w.String("2026-01-01T00:00:00.000000Z");
  w.Key("modified_on");
  w.String("2026-01-01T00:00:00.000000Z");
  w.EndObject();
}

int intParam(const FakeRequest& req, const std::string& name, int fallback) {
  const std::string v = req.param(name);
  if (v.empty() || v.size() > 6 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return fallback;
  }
  return std::stoi(v);
}

}  // namespace

std::string urlDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

FakeCloudflare::FakeCloudflare(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeCloudflare::~FakeCloudflare() {
  server_->stop();
}

std::string FakeCloudflare::endpoint() const {
  return server_->url() + "/client/v4";
}

std::string FakeCloudflare::newId() {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%032llx", ++nextId_);
  return buf;
}

std::string FakeCloudflare::addZone(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_.push_back({newId(), name, {}});
  return zones_.back().id;
}

std::string FakeCloudflare::addRecord(const std::string& zoneId, const std::string& type,
                                      const std::string& name, const std::string& content,
                                      long long ttl, bool proxied) {
  std::lock_guard<std::mutex> lock(mutex_);
  Zone* z = findZone(zoneId);
  if (z == nullptr) {
    return {};
  }
  z->records.push_back({newId(), type, name, content, ttl, proxied});
  return z->records.back().id;
}

std::optional<FakeCloudflare::DnsRecord> FakeCloudflare::record(const std::string& zoneId,
                                                                const std::string& type,
                                                                const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& z : zones_) {
    for (const auto& r : z.records) {
      if (z.id == zoneId && r.type == type && r.name == name) {
        return r;
      }
    }
  }
  return std::nullopt;
}

void FakeCloudflare::setContent(const std::string& zoneId, const std::string& type,
                                const std::string& name, const std::string& content) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& z : zones_) {
    for (auto& r : z.records) {
      if (z.id == zoneId && r.type == type && r.name == name) {
        r.content = content;
      }
    }
  }
}

void FakeCloudflare::removeRecord(const std::string& zoneId, const std::string& recordId) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Zone* z = findZone(zoneId)) {
    z->records.erase(std::remove_if(z->records.begin(), z->records.end(),
                                    [&](const DnsRecord& r) { return r.id == recordId; }),
                     z->records.end());
  }
}

void FakeCloudflare::setComment(const std::string& zoneId, const std::string& recordId,
                                std::string comment) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Zone* z = findZone(zoneId)) {
    for (auto& r : z->records) {
      if (r.id == recordId) {
        r.comment = comment;
      }
    }
  }
}

void FakeCloudflare::setMaxPerPage(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  maxPerPage_ = n;
}

void FakeCloudflare::failNext(int status, int code, const std::string& message, int count,
                              std::optional<int> retryAfterSeconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  failStatus_ = status;
  failCode_ = code;
  failMessage_ = message;
  failCount_ = count;
  failRetryAfter_ = retryAfterSeconds;
}

std::vector<FakeRequest> FakeCloudflare::requests() const {
  return server_->requests();
}

int FakeCloudflare::count(const std::string& method) const {
  int n = 0;
  for (const auto& r : server_->requests()) {
    n += r.method == method ? 1 : 0;
  }
  return n;
}

FakeCloudflare::Zone* FakeCloudflare::findZone(const std::string& id) {
  for (auto& z : zones_) {
    if (z.id == id) {
      return &z;
    }
  }
  return nullptr;
}

namespace {

using Items = std::vector<std::function<void(Writer&)>>;

// One page of `items` as a list envelope with result_info.
FakeResponse listPage(const Items& items, int page, int perPage) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeEnvelopeStart(w, true);
  w.Key("errors");
  w.StartArray();
  w.EndArray();
  w.Key("result");
  w.StartArray();
  const size_t from = static_cast<size_t>(page - 1) * perPage;
  int shown = 0;
  for (size_t i = from; i < items.size() && shown < perPage; ++i, ++shown) {
    items[i](w);
  }
  w.EndArray();
  w.Key("result_info");
  w.StartObject();
  w.Key("page");
  w.Int(page);
  w.Key("per_page");
  w.Int(perPage);
  w.Key("count");
  w.Int(shown);
  w.Key("total_count");
  w.Int(static_cast<int>(items.size()));
  w.Key("total_pages");
  w.Int(std::max(1, static_cast<int>((items.size() + perPage - 1) / perPage)));
  w.EndObject();
  w.EndObject();
  FakeResponse r;
  r.body = buf.GetString();
  return r;
}

// Applies content, ttl and proxied from a PATCH or POST body; an error reply for a bad one.
std::optional<FakeResponse> apply(const rapidjson::Document& body, FakeCloudflare::DnsRecord& r) {
  if (body.HasMember("content")) {
    if (!body["content"].IsString()) {
      return errorReply(400, {{9021, "Invalid content for a record"}});
    }
    r.content = body["content"].GetString();
  }
  if (body.HasMember("ttl")) {
    if (!body["ttl"].IsInt64() ||
        (body["ttl"].GetInt64() != 1 &&
         (body["ttl"].GetInt64() < 60 || body["ttl"].GetInt64() > 86400))) {
      return errorReply(400, {{9141,
                               "Invalid TTL. Must be between 60 and 86400 or 1 for "
                               "automatic."}});
    }
    r.ttl = body["ttl"].GetInt64();
  }
  if (body.HasMember("proxied")) {
    if (!body["proxied"].IsBool()) {
      return errorReply(400, {{9003, "Invalid 'proxied' value, must be a boolean"}});
    }
    r.proxied = body["proxied"].GetBool();
  }
  if (body.HasMember("comment")) {
    r.comment = body["comment"].IsString() ? body["comment"].GetString() : "";
  }
  return std::nullopt;
}

// The envelope of one record.
FakeResponse single(const FakeCloudflare::DnsRecord& r, const std::string& zoneId,
                    const std::string& zoneName) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeEnvelopeStart(w, true);
  w.Key("errors");
  w.StartArray();
  w.EndArray();
  w.Key("result");
  writeRecord(w, r, zoneId, zoneName);
  w.EndObject();
  FakeResponse resp;
  resp.body = buf.GetString();
  return resp;
}

}  // namespace

// Failures queued by failNext(), auth, then the routes: GET zones, GET and POST
// zones/ID/dns_records, PATCH zones/ID/dns_records/ID.
FakeResponse FakeCloudflare::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failCount_ > 0) {
    --failCount_;
    FakeResponse r = errorReply(failStatus_, {{failCode_, failMessage_}});
    if (failRetryAfter_) {
      r.headers.emplace_back("Retry-After", std::to_string(*failRetryAfter_));
    }
    return r;
  }
  const std::string auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) {
    return errorReply(400, {{6003, "Invalid request headers"},
                            {6111, "Invalid format for Authorization header"}});
  }
  if (auth != "Bearer " + token_) {
    return errorReply(403, {{10000, "Authentication error"}});
  }
  const auto parts = splitPath(req.path);
  if (parts.size() < 3 || parts[0] != "client" || parts[1] != "v4" || parts[2] != "zones") {
    return errorReply(400, {{7000, "No route for that URI"}});
  }
  const int perPage = std::min(intParam(req, "per_page", 100), maxPerPage_);
  const int page = std::max(1, intParam(req, "page", 1));
  if (parts.size() == 3 && req.method == "GET") {
    const std::string name = urlDecode(req.param("name"));
    Items items;
    for (const auto& z : zones_) {
      if (name.empty() || z.name == name) {
        items.push_back([z](Writer& w) {
          w.StartObject();
          w.Key("id");
          w.String(z.id.c_str());
          w.Key("name");
          w.String(z.name.c_str());
          w.Key("status");
          w.String("active");
          w.EndObject();
        });
      }
    }
    return listPage(items, page, perPage);
  }
  Zone* zone = parts.size() >= 5 && parts[4] == "dns_records" ? findZone(parts[3]) : nullptr;
  if (zone == nullptr) {
    return errorReply(400,
                      {{7003, "Could not route to /zones/" + (parts.size() > 3 ? parts[3] : "") +
                                  "/dns_records, perhaps your object identifier is invalid?"},
                       {7000, "No route for that URI"}});
  }
  if (parts.size() == 5 && req.method == "GET") {
    const std::string type = urlDecode(req.param("type"));
    const std::string name = urlDecode(req.param("name"));
    Items items;
    for (const auto& r : zone->records) {
      if ((type.empty() || r.type == type) && (name.empty() || r.name == name)) {
        items.push_back([r, zone](Writer& w) { writeRecord(w, r, zone->id, zone->name); });
      }
    }
    return listPage(items, page, perPage);
  }
  return change(*zone, parts, req);
}

// POST zones/ID/dns_records and PATCH zones/ID/dns_records/ID.
FakeResponse FakeCloudflare::change(Zone& zone, const std::vector<std::string>& parts,
                                    const FakeRequest& req) {
  rapidjson::Document body;
  if (req.method == "PATCH" || req.method == "POST") {
    body.Parse(req.body.c_str(), req.body.size());
    if (req.header("content-type").rfind("application/json", 0) != 0 || body.HasParseError() ||
        !body.IsObject()) {
      return errorReply(400, {{9207, "Request body is invalid."}});
    }
  }
  if (parts.size() == 5 && req.method == "POST") {
    DnsRecord r;
    r.id = newId();
    r.type = body.HasMember("type") && body["type"].IsString() ? body["type"].GetString() : "";
    r.name = body.HasMember("name") && body["name"].IsString() ? body["name"].GetString() : "";
    if (r.type.empty() || r.name.empty()) {
      return errorReply(400, {{9000, "DNS name is invalid."}});
    }
    if (auto bad = apply(body, r)) {
      return *bad;
    }
    zone.records.push_back(r);
    return single(r, zone.id, zone.name);
  }
  if (parts.size() == 6 && req.method == "PATCH") {
    for (auto& r : zone.records) {
      if (r.id == parts[5]) {
        DnsRecord copy = r;
        if (auto bad = apply(body, copy)) {
          return *bad;
        }
        r = copy;
        return single(r, zone.id, zone.name);
      }
    }
    return errorReply(404, {{81044, "Record does not exist."}});
  }
  return errorReply(405, {{10405, "Method not allowed"}});
}

namespace {

// `chipmunk-fake cloudflare` (tests/support/runnable_fake.hpp).
const RunnableFake kCloudflareRunnable{
    "cloudflare", [] {
      auto f = std::make_shared<FakeCloudflare>("cf-test-token");
      const std::string zone = f->addZone("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord(zone, type, "home.example.com", ip);
      });
      return RunningFake{f,
                         fakeSection("cloudflare", "api_token = cf-test-token\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
