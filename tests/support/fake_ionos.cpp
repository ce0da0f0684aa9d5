// SPDX-License-Identifier: MIT
// A fake IONOS Hosting DNS API v1; see fake_ionos.hpp and
// https://developer.hosting.ionos.com/docs/dns
#include "tests/support/fake_ionos.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

FakeResponse ionosError(int status, const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  w.StartObject();
  w.Key("code");
  w.String(code.c_str());
  w.Key("message");
  w.String(message.c_str());
  w.EndObject();
  w.EndArray();
  return jsonReply(status, buf.GetString());
}

std::string uuid(int n) {
  std::string tail = std::to_string(n);
  return "4ab3a7e2-1234-5678-abcd-" + std::string(12 - tail.size(), '0') + tail;
}

// Sets the fields of `r` from a record object of a request body (defaults for those left out).
void fill(const rapidjson::Value& v, FakeIonos::DnsRecord& r) {
  r.content = v.HasMember("content") && v["content"].IsString() ? v["content"].GetString() : "";
  r.ttl = v.HasMember("ttl") && v["ttl"].IsInt64() ? v["ttl"].GetInt64() : 3600;
  r.prio = v.HasMember("prio") && v["prio"].IsInt64() ? v["prio"].GetInt64() : 0;
  r.disabled = v.HasMember("disabled") && v["disabled"].IsBool() && v["disabled"].GetBool();
}

FakeResponse ionosNotFound() {
  return ionosError(404, "NOT_FOUND", "Zone or record not found.");
}

}  // namespace

FakeIonos::FakeIonos(std::string key) : key_(std::move(key)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeIonos::~FakeIonos() {
  server_->stop();
}

std::string FakeIonos::endpoint() const {
  return server_->url() + "/dns/v1";
}

std::string FakeIonos::addZone(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_.emplace_back(name, uuid(nextId_++));
  return zones_.back().second;
}

std::string FakeIonos::addRecord(DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = uuid(nextId_++);
  records_.push_back(record);
  return record.id;
}

std::optional<FakeIonos::DnsRecord> FakeIonos::record(const std::string& name,
                                                      const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& r : records_) {
    if (r.name == name && r.type == type) {
      return r;
    }
  }
  return std::nullopt;
}

void FakeIonos::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeIonos::requests() const {
  return server_->requests();
}

FakeResponse FakeIonos::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("x-api-key") != key_) {
    return ionosError(401, "UNAUTHORIZED", "The customer is not authorized to do this operation.");
  }
  if (req.path == "/dns/v1/zones" && req.method == "GET") {
    return zones();
  }
  const std::string prefix = "/dns/v1/zones/";
  if (req.path.rfind(prefix, 0) != 0) {
    return ionosNotFound();
  }
  const std::string rest = req.path.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string zoneId = rest.substr(0, slash);
  std::string zone;
  for (const auto& [name, id] : zones_) {
    if (id == zoneId) {
      zone = name;
    }
  }
  if (zone.empty()) {
    return ionosNotFound();
  }
  if (slash == std::string::npos && req.method == "GET") {
    return records(zone, zoneId, req);
  }
  return change(zone, slash == std::string::npos ? "" : rest.substr(slash), req);
}

// GET /dns/v1/zones: every zone.
FakeResponse FakeIonos::zones() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& [name, id] : zones_) {
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("id");
    w.String(id.c_str());
    w.Key("type");
    w.String("NATIVE");
    w.EndObject();
  }
  w.EndArray();
  return jsonReply(200, buf.GetString());
}

// GET /dns/v1/zones/ZONE_ID?recordName=&recordType=: the zone with its matching records.
FakeResponse FakeIonos::records(const std::string& zone, const std::string& zoneId,
                                const FakeRequest& req) const {
  const std::string name = urlDecode(req.param("recordName"));
  const std::string type = req.param("recordType");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("name");
  w.String(zone.c_str());
  w.Key("id");
  w.String(zoneId.c_str());
  w.Key("type");
  w.String("NATIVE");
  w.Key("records");
  w.StartArray();
  for (const auto& r : records_) {
    if (r.zone != zone || (!name.empty() && r.name != name) || (!type.empty() && r.type != type)) {
      continue;
    }
    w.StartObject();
    w.Key("name");
    w.String(r.name.c_str());
    w.Key("rootName");
    w.String(zone.c_str());
    w.Key("type");
    w.String(r.type.c_str());
    w.Key("content");
    w.String(r.content.c_str());
    w.Key("changeDate");
    w.String("2026-01-01T00:00:00.000Z");
    w.Key("ttl");
    w.Int64(r.ttl);
    w.Key("prio");
    w.Int64(r.prio);
    w.Key("disabled");
    w.Bool(r.disabled);
    w.Key("id");
    w.String(r.id.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

// PUT /records/RECORD_ID (every field set) and POST /records [records...] under a zone;
// `path` is what follows the zone id.
FakeResponse FakeIonos::change(const std::string& zone, const std::string& path,
                               const FakeRequest& req) {
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, req.body, parseError)) {
    return ionosError(400, "INVALID_REQUEST_BODY", "The request body is not valid JSON.");
  }
  if (req.method == "PUT" && path.compare(0, 9, "/records/") == 0 && body.IsObject()) {
    const std::string id = path.substr(9);
    for (auto& r : records_) {
      if (r.zone == zone && r.id == id) {
        fill(body, r);
        return jsonReply(200, "{}");
      }
    }
    return ionosNotFound();
  }
  if (req.method == "POST" && path == "/records" && body.IsArray()) {
    for (const auto& item : body.GetArray()) {
      if (!item.IsObject()) {
        return ionosError(400, "INVALID_RECORD", "Record is not an object.");
      }
      DnsRecord r;
      r.id = uuid(nextId_++);
      r.zone = zone;
      r.name = item.HasMember("name") && item["name"].IsString() ? item["name"].GetString() : "";
      r.type = item.HasMember("type") && item["type"].IsString() ? item["type"].GetString() : "";
      fill(item, r);
      records_.push_back(r);
    }
    return jsonReply(201, "[]");
  }
  return ionosNotFound();
}

namespace {

// `chipmunk-fake ionos` (tests/support/runnable_fake.hpp).
const RunnableFake kIonosRunnable{
    "ionos", [] {
      auto f = std::make_shared<FakeIonos>();
      f->addZone("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord({"", "example.com", "home.example.com", type, ip, 3600, 0, false});
      });
      return RunningFake{f, fakeSection("ionos", "api_key = prefix.secret\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
