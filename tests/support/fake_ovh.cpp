// SPDX-License-Identifier: MIT
// A fake OVHcloud API v1 (/auth/time, /domain/zone); see fake_ovh.hpp and
// https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api
#include "tests/support/fake_ovh.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdlib>

#include "common/json.hpp"
#include "providers/signing.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

// {"errorCode","httpCode","message"}: the shape of the authentication errors.
FakeResponse coded(int status, const std::string& code, const std::string& httpCode,
                   const std::string& message) {
  return jsonReply(status, "{\"errorCode\":\"" + code + "\",\"httpCode\":\"" + httpCode +
                               "\",\"message\":\"" + message + "\"}");
}

FakeResponse ovhNotFound(const std::string& message) {
  return jsonReply(404, "{\"class\":\"Client::NotFound\",\"message\":\"" + message + "\"}");
}

std::string recordJson(const std::string& zone, long long id, const FakeOvh::Record& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("id");
  w.Int64(id);
  w.Key("zone");
  w.String(zone.c_str());
  w.Key("fieldType");
  w.String(r.fieldType.c_str());
  w.Key("subDomain");
  w.String(r.subDomain.c_str());
  w.Key("target");
  w.String(r.target.c_str());
  w.Key("ttl");
  w.Int64(r.ttl);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

FakeOvh::FakeOvh(std::string applicationKey, std::string applicationSecret, std::string consumerKey)
    : applicationKey_(std::move(applicationKey)),
      applicationSecret_(std::move(applicationSecret)),
      consumerKey_(std::move(consumerKey)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeOvh::~FakeOvh() {
  server_->stop();
}

std::string FakeOvh::endpoint() const {
  return server_->url() + "/1.0";
}

void FakeOvh::addZone(const std::string& zone) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_[zone];
}

long long FakeOvh::addRecord(const std::string& zone, Record record) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_[zone].records[nextId_] = std::move(record);
  return nextId_++;
}

std::optional<FakeOvh::Record> FakeOvh::find(const std::string& zone, const std::string& subDomain,
                                             const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto z = zones_.find(zone);
  if (z != zones_.end()) {
    for (const auto& [id, r] : z->second.records) {
      if (r.subDomain == subDomain && r.fieldType == type) {
        return r;
      }
    }
  }
  return std::nullopt;
}

int FakeOvh::refreshes(const std::string& zone) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto z = zones_.find(zone);
  return z == zones_.end() ? 0 : z->second.refreshes;
}

void FakeOvh::setClockSkew(long long seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  skew_ = seconds;
}

void FakeOvh::setReadOnly(bool readOnly) {
  std::lock_guard<std::mutex> lock(mutex_);
  readOnly_ = readOnly;
}

void FakeOvh::failRefreshes(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  failRefreshes_ = count;
}

void FakeOvh::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeOvh::requests() const {
  return server_->requests();
}

long long FakeOvh::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         skew_;
}

std::optional<FakeResponse> FakeOvh::refuse(const FakeRequest& req) const {
  if (req.header("x-ovh-application") != applicationKey_) {
    return coded(403, "INVALID_KEY", "403 Forbidden", "Invalid application key");
  }
  if (req.header("x-ovh-consumer") != consumerKey_) {
    return coded(403, "INVALID_CREDENTIAL", "403 Forbidden", "This credential does not exist");
  }
  const std::string timestamp = req.header("x-ovh-timestamp");
  if (timestamp.empty() || timestamp.size() > 12 ||
      timestamp.find_first_not_of("0123456789") != std::string::npos ||
      std::llabs(std::atoll(timestamp.c_str()) - now()) > 30) {
    return coded(400, "QUERY_TIME_OUT", "400 Bad Request", "Query out of time");
  }
  // The URL as the client wrote it: scheme, Host header, path and query as received.
  const std::string url =
      "http://" + req.header("host") + req.path + (req.query.empty() ? "" : "?" + req.query);
  const std::string expected =
      "$1$" + providers::sha1Hex(applicationSecret_ + "+" + consumerKey_ + "+" + req.method + "+" +
                                 url + "+" + req.body + "+" + timestamp);
  if (req.header("x-ovh-signature") != expected) {
    return coded(400, "INVALID_SIGNATURE", "400 Bad Request", "Invalid signature");
  }
  if (readOnly_ && req.method != "GET") {
    return coded(403, "NOT_GRANTED_CALL", "403 Forbidden", "This call has not been granted");
  }
  return std::nullopt;
}

FakeResponse FakeOvh::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.method == "GET" && req.path == "/1.0/auth/time") {
    return jsonReply(200, std::to_string(now()));
  }
  if (auto refused = refuse(req)) {
    return *refused;
  }
  // /1.0/domain/zone/ZONE/{record[/ID],refresh}
  const auto parts = splitPath(req.path);
  if (parts.size() < 5 || parts[0] != "1.0" || parts[1] != "domain" || parts[2] != "zone") {
    return ovhNotFound("Got an invalid (or empty) URL");
  }
  const std::string name = urlDecode(parts[3]);
  const auto zone = zones_.find(name);
  if (zone == zones_.end()) {
    return ovhNotFound("This service does not exist");
  }
  if (parts[4] == "refresh" && parts.size() == 5 && req.method == "POST") {
    if (failRefreshes_ > 0) {
      --failRefreshes_;
      return jsonReply(503, R"({"message":"Internal server error"})");
    }
    ++zone->second.refreshes;
    return jsonReply(200, "null");
  }
  return parts[4] == "record" ? records(zone->second, name, req, parts)
                              : ovhNotFound("Got an invalid (or empty) URL");
}

FakeResponse FakeOvh::records(Zone& zone, const std::string& name, const FakeRequest& req,
                              const std::vector<std::string>& parts) {
  rapidjson::Document body;
  std::string parseError;
  const bool hasBody = json::parse(body, req.body, parseError) && body.IsObject();
  const auto field = [&](const char* key) {
    return hasBody && body.HasMember(key) && body[key].IsString()
               ? std::string(body[key].GetString())
               : std::string();
  };
  const auto ttl = [&](long long fallback) {
    return hasBody && body.HasMember("ttl") && body["ttl"].IsInt64() ? body["ttl"].GetInt64()
                                                                     : fallback;
  };
  if (parts.size() == 5 && req.method == "GET") {
    const std::string type = req.param("fieldType");
    const std::string sub = urlDecode(req.param("subDomain"));
    std::string ids = "[";
    for (const auto& [id, r] : zone.records) {
      if ((type.empty() || r.fieldType == type) && r.subDomain == sub) {
        ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
      }
    }
    return jsonReply(200, ids + "]");
  }
  if (parts.size() == 5 && req.method == "POST") {
    Record r{field("subDomain"), field("fieldType"), field("target"), ttl(0)};
    if (r.target.empty() || (r.fieldType != "A" && r.fieldType != "AAAA")) {
      return jsonReply(400, R"({"message":"Invalid record"})");
    }
    zone.records[nextId_] = r;
    return jsonReply(200, recordJson(name, nextId_++, r));
  }
  const auto it =
      parts.size() == 6 ? zone.records.find(std::atoll(parts[5].c_str())) : zone.records.end();
  if (it == zone.records.end()) {
    return ovhNotFound("The requested object (id = " + (parts.size() == 6 ? parts[5] : "") +
                       ") does not exist");
  }
  if (req.method == "GET") {
    return jsonReply(200, recordJson(name, it->first, it->second));
  }
  if (req.method != "PUT" || !hasBody) {
    return jsonReply(400, R"({"message":"Invalid body"})");
  }
  if (!field("target").empty()) {
    it->second.target = field("target");
  }
  if (!field("subDomain").empty()) {
    it->second.subDomain = field("subDomain");
  }
  it->second.ttl = ttl(it->second.ttl);
  return jsonReply(200, "null");
}

namespace {

// `chipmunk-fake ovh` (tests/support/runnable_fake.hpp).
const RunnableFake kOvhRunnable{
    "ovh", [] {
      auto f = std::make_shared<FakeOvh>();
      f->addZone("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {"home", type, ip, 0});
      });
      return RunningFake{f, fakeSection("ovh",
                                        "application_key = ovh-ak\napplication_secret = ovh-as\n"
                                        "consumer_key = ovh-ck\n",
                                        f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
