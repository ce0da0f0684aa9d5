// SPDX-License-Identifier: MIT
// A fake Scaleway Domains and DNS API (v2beta1 records); see fake_scaleway.hpp and
// https://www.scaleway.com/en/developers/api/domains-and-dns/
#include "tests/support/fake_scaleway.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

constexpr const char* kScalewayBase = "/domain/v2beta1";
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

FakeResponse scalewayError(int status, const std::string& type, const std::string& message,
                           const std::string& zone = "") {
  std::vector<std::pair<const char*, std::string>> members = {{"message", message}};
  if (!zone.empty()) {  // a missing resource is named
    members.insert(members.end(), {{"resource", "dns_zone"}, {"resource_id", zone}});
  }
  members.emplace_back("type", type);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& [key, value] : members) {
    w.Key(key);
    w.String(value.c_str());
  }
  w.EndObject();
  return jsonReply(status, buf.GetString());
}

FakeResponse invalid(const std::string& message) {
  return scalewayError(400, "invalid_arguments", message);
}

void write(Writer& w, const FakeScaleway::DnsRecord& r) {
  w.StartObject();
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"id", &r.id},
                                   {"data", &r.data},
                                   {"name", &r.name},
                                   {"type", &r.type},
                                   {"comment", &r.comment}}) {
    w.Key(key);
    w.String(value->c_str());
  }
  w.Key("priority");
  w.Int64(r.priority);
  w.Key("ttl");
  w.Int64(r.ttl);
  w.EndObject();
}

FakeResponse scalewayListing(const std::vector<FakeScaleway::DnsRecord>& records, size_t total) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (const auto& r : records) {
    write(w, r);
  }
  w.EndArray();
  if (total > 0 || records.empty()) {
    w.Key("total_count");
    w.Uint64(total);
  }
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

std::string scalewayText(const rapidjson::Value& v, const char* key) {
  const auto it = v.IsObject() ? v.FindMember(key) : v.MemberEnd();
  return v.IsObject() && it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// A record of a change: data, type and ttl required; nothing when one is missing.
std::optional<FakeScaleway::DnsRecord> recordOf(const rapidjson::Value& v) {
  if (!v.IsObject() || !v.HasMember("ttl") || !v["ttl"].IsInt64() ||
      scalewayText(v, "data").empty() || scalewayText(v, "type").empty()) {
    return std::nullopt;
  }
  FakeScaleway::DnsRecord r{"", scalewayText(v, "name"), scalewayText(v, "type"),
                            scalewayText(v, "data"), v["ttl"].GetInt64()};
  r.priority = v.HasMember("priority") && v["priority"].IsInt64() ? v["priority"].GetInt64() : 0;
  r.comment = scalewayText(v, "comment");
  return r;
}

}  // namespace

FakeScaleway::FakeScaleway(std::string secretKey) : key_(std::move(secretKey)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeScaleway::~FakeScaleway() {
  server_->stop();
}

std::string FakeScaleway::endpoint() const {
  return server_->url() + kScalewayBase;
}

void FakeScaleway::addZone(const std::string& zone) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_[zone];
}

std::string FakeScaleway::addRecord(const std::string& zone, DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = "c2a7b9e0-0000-4000-8000-" + std::to_string(100000000000 + nextId_++);
  zones_[zone].push_back(record);
  return record.id;
}

std::vector<FakeScaleway::DnsRecord> FakeScaleway::records(const std::string& zone,
                                                           const std::string& name,
                                                           const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DnsRecord> out;
  const auto z = zones_.find(zone);
  for (const auto& r : z == zones_.end() ? std::vector<DnsRecord>{} : z->second) {
    if (r.name == name && r.type == type) {
      out.push_back(r);
    }
  }
  return out;
}

void FakeScaleway::setPageSize(int size) {
  std::lock_guard<std::mutex> lock(mutex_);
  pageSize_ = size;
}

void FakeScaleway::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

void FakeScaleway::rateLimitNext(const std::string& retryAfter) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-RateLimit-Limit", "20"}, {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "3"}};
  if (!retryAfter.empty()) {
    headers.emplace_back("Retry-After", retryAfter);
  }
  failures_.push(429, R"({"message":"rate limit exceeded","type":"too_many_requests"})",
                 std::move(headers));
}

std::vector<FakeRequest> FakeScaleway::requests() const {
  return server_->requests();
}

FakeResponse FakeScaleway::handle(const FakeRequest& req) {
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (req.header("x-auth-token") != key_) {
    return jsonReply(401, R"({"message":"authentication is denied","method":"api_key",)"
                          R"("reason":"invalid_argument","type":"denied_authentication"})");
  }
  const auto parts = splitPath(req.path);  // domain v2beta1 dns-zones ZONE records
  if (parts.size() != 5 || "/" + parts[0] + "/" + parts[1] != kScalewayBase ||
      parts[2] != "dns-zones" || parts[4] != "records") {
    return scalewayError(404, "not_found", "resource is not found");
  }
  const std::string zone = urlDecode(parts[3]);
  if (zones_.count(zone) == 0) {
    return scalewayError(404, "not_found", "resource is not found", zone);
  }
  if (req.method == "GET") {
    return list(zone, req);
  }
  if (req.method == "PATCH") {
    return patch(zone, req.body);
  }
  return scalewayError(405, "method_not_allowed", "method not allowed");
}

FakeResponse FakeScaleway::list(const std::string& zone, const FakeRequest& req) const {
  const std::string name = urlDecode(req.param("name"));
  const std::string type = req.param("type");
  const std::string pageText = req.param("page");
  const std::string sizeText = req.param("page_size");
  const long page = pageText.empty() ? 1 : std::atol(pageText.c_str());
  const long size = std::min<long>(sizeText.empty() ? 20 : std::atol(sizeText.c_str()), pageSize_);
  if (page < 1 || size < 1) {
    return invalid("page and page_size must be positive");
  }
  std::vector<DnsRecord> matching;
  for (const auto& r : zones_.at(zone)) {
    if ((name.empty() || r.name == name) && (type.empty() || r.type == type)) {
      matching.push_back(r);
    }
  }
  const size_t from = std::min(matching.size(), static_cast<size_t>((page - 1) * size));
  const size_t to = std::min(matching.size(), from + static_cast<size_t>(size));
  return scalewayListing({matching.begin() + from, matching.begin() + to}, matching.size());
}

FakeResponse FakeScaleway::patch(const std::string& zone, const std::string& text) {
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, text, parseError) || !body.IsObject() || !body.HasMember("changes") ||
      !body["changes"].IsArray()) {
    return invalid("changes is required");
  }
  std::vector<DnsRecord> next = zones_.at(zone);
  std::vector<DnsRecord> written;
  for (const auto& change : body["changes"].GetArray()) {
    if (auto problem = apply(next, change, written)) {
      return invalid(*problem);
    }
  }
  zones_[zone] = next;
  return scalewayListing(written, 0);
}

std::optional<std::string> FakeScaleway::apply(std::vector<DnsRecord>& zone,
                                               const rapidjson::Value& change,
                                               std::vector<DnsRecord>& written) {
  const bool set = change.IsObject() && change.HasMember("set") && change["set"].IsObject();
  const bool add = change.IsObject() && change.HasMember("add") && change["add"].IsObject();
  if (set == add) {
    return "a change is one of add, set, delete or clear";
  }
  const rapidjson::Value& op = set ? change["set"] : change["add"];
  if (!op.HasMember("records") || !op["records"].IsArray()) {
    return "records is required";
  }
  if (set) {
    const auto ids = op.FindMember("id_fields");
    if (ids == op.MemberEnd() || !ids->value.IsObject() ||
        scalewayText(ids->value, "type").empty()) {
      return "id_fields with name and type is required";
    }
    const std::string name = scalewayText(ids->value, "name");
    const std::string type = scalewayText(ids->value, "type");
    const std::string data = scalewayText(ids->value, "data");
    zone.erase(std::remove_if(zone.begin(), zone.end(),
                              [&](const DnsRecord& r) {
                                return r.name == name && r.type == type &&
                                       (data.empty() || r.data == data);
                              }),
               zone.end());
  }
  for (const auto& item : op["records"].GetArray()) {
    auto r = recordOf(item);
    if (!r) {
      return "a record needs data, type and ttl";
    }
    r->id = "c2a7b9e0-0000-4000-8000-" + std::to_string(100000000000 + nextId_++);
    zone.push_back(*r);
    written.push_back(*r);
  }
  return std::nullopt;
}

namespace {

// `chipmunk-fake scaleway` (tests/support/runnable_fake.hpp).
const RunnableFake kScalewayRunnable{
    "scaleway", [] {
      auto f = std::make_shared<FakeScaleway>();
      f->addZone("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {"", "home", type, ip});
      });
      return RunningFake{f, fakeSection("scaleway", "secret_key = scw-secret\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
