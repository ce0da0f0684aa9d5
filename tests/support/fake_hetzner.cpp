// SPDX-License-Identifier: MIT
// A fake Hetzner DNS Console API v1; see fake_hetzner.hpp and https://dns.hetzner.com/api-docs
#include "tests/support/fake_hetzner.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/ip.hpp"
#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

void write(rapidjson::Writer<rapidjson::StringBuffer>& w, const FakeHetzner::DnsRecord& r) {
  w.StartObject();
  w.Key("id");
  w.String(r.id.c_str());
  w.Key("type");
  w.String(r.type.c_str());
  w.Key("name");
  w.String(r.name.c_str());
  w.Key("value");
  w.String(r.value.c_str());
  if (r.ttl > 0) {
    w.Key("ttl");
    w.Int64(r.ttl);
  }
  w.Key("zone_id");
  w.String(r.zoneId.c_str());
  w.Key("created");
  w.String("2026-01-01 00:00:00.000 +0000 UTC");
  w.Key("modified");
  w.String("2026-01-01 00:00:00.000 +0000 UTC");
  w.EndObject();
}

std::string one(const FakeHetzner::DnsRecord& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("record");
  write(w, r);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

FakeHetzner::FakeHetzner(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeHetzner::~FakeHetzner() {
  server_->stop();
}

std::string FakeHetzner::endpoint() const {
  return server_->url() + "/api/v1";
}

std::string FakeHetzner::addZone(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_.emplace_back(name, "zone" + std::to_string(nextId_++));
  return zones_.back().second;
}

std::string FakeHetzner::addRecord(DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = "rec" + std::to_string(nextId_++);
  records_.push_back(record);
  return record.id;
}

std::optional<FakeHetzner::DnsRecord> FakeHetzner::record(const std::string& zoneId,
                                                          const std::string& type,
                                                          const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& r : records_) {
    if (r.zoneId == zoneId && r.type == type && r.name == name) {
      return r;
    }
  }
  return std::nullopt;
}

void FakeHetzner::setPageSize(int size) {
  std::lock_guard<std::mutex> lock(mutex_);
  pageSize_ = size;
}

void FakeHetzner::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeHetzner::requests() const {
  return server_->requests();
}

FakeResponse FakeHetzner::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("auth-api-token") != token_) {
    return jsonReply(401, R"({"message":"Invalid authentication credentials"})");
  }
  if (req.method == "GET" && req.path == "/api/v1/zones") {
    return zones(req);
  }
  if (req.method == "GET" && req.path == "/api/v1/records") {
    return records(req);
  }
  return change(req);
}

// GET /api/v1/zones?name=: 404 when no zone has that name.
FakeResponse FakeHetzner::zones(const FakeRequest& req) const {
  const std::string name = urlDecode(req.param("name"));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("zones");
  w.StartArray();
  int count = 0;
  for (const auto& [zone, id] : zones_) {
    if (name.empty() || zone == name) {
      ++count;
      w.StartObject();
      w.Key("id");
      w.String(id.c_str());
      w.Key("name");
      w.String(zone.c_str());
      w.Key("ttl");
      w.Int(86400);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  if (count == 0) {
    return jsonReply(404, R"({"zones":[],"error":{"message":"zone not found","code":404}})");
  }
  return jsonReply(200, buf.GetString());
}

// GET /api/v1/records?zone_id=&page=&per_page=: page pagination with meta.pagination.
FakeResponse FakeHetzner::records(const FakeRequest& req) const {
  const std::string zoneId = req.param("zone_id");
  std::vector<const DnsRecord*> mine;
  for (const auto& r : records_) {
    if (r.zoneId == zoneId) {
      mine.push_back(&r);
    }
  }
  const int perPage = std::max(
      1,
      std::min(pageSize_, req.param("per_page").empty() ? 100 : std::stoi(req.param("per_page"))));
  const int page = req.param("page").empty() ? 1 : std::max(1, std::stoi(req.param("page")));
  const int lastPage = std::max(1, static_cast<int>((mine.size() + perPage - 1) / perPage));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (size_t i = static_cast<size_t>((page - 1) * perPage);
       i < mine.size() && i < static_cast<size_t>(page * perPage); ++i) {
    write(w, *mine[i]);
  }
  w.EndArray();
  w.Key("meta");
  w.StartObject();
  w.Key("pagination");
  w.StartObject();
  w.Key("page");
  w.Int(page);
  w.Key("per_page");
  w.Int(perPage);
  w.Key("last_page");
  w.Int(lastPage);
  w.Key("total_entries");
  w.Int64(static_cast<long long>(mine.size()));
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

// PUT /api/v1/records/ID (a full replacement) and POST /api/v1/records; the value is checked.
FakeResponse FakeHetzner::change(const FakeRequest& req) {
  rapidjson::Document body;
  std::string error;
  if (!json::parse(body, req.body, error) || !body.IsObject()) {
    return jsonReply(400, R"({"error":{"message":"400 Bad Request","code":400}})");
  }
  const auto text = [&body](const char* key) {
    return body.HasMember(key) && body[key].IsString() ? std::string(body[key].GetString())
                                                       : std::string();
  };
  DnsRecord next;
  next.zoneId = text("zone_id");
  next.type = text("type");
  next.name = text("name");
  next.value = text("value");
  next.ttl = body.HasMember("ttl") && body["ttl"].IsInt64() ? body["ttl"].GetInt64() : 0;
  const auto ip = IpAddress::parse(next.value);
  if (!ip || (next.type == "A") != ip->isV4()) {
    return jsonReply(
        422,
        R"({"record":{},"error":{"message":"422 Unprocessable Entity: invalid record value","code":422}})");
  }
  const std::string prefix = "/api/v1/records/";
  if (req.method == "PUT" && req.path.rfind(prefix, 0) == 0) {
    const std::string id = req.path.substr(prefix.size());
    for (auto& r : records_) {
      if (r.id == id) {
        next.id = id;
        r = next;
        return jsonReply(200, one(r));
      }
    }
    return jsonReply(404, R"({"record":{},"error":{"message":"record not found","code":404}})");
  }
  if (req.method == "POST" && req.path == "/api/v1/records") {
    next.id = "rec" + std::to_string(nextId_++);
    records_.push_back(next);
    return jsonReply(200, one(next));
  }
  return jsonReply(404, R"({"error":{"message":"not found","code":404}})");
}

namespace {

// `chipmunk-fake hetzner` (tests/support/runnable_fake.hpp).
const RunnableFake kHetznerRunnable{
    "hetzner", [] {
      auto f = std::make_shared<FakeHetzner>();
      const std::string zone = f->addZone("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord({"", zone, type, "home", ip, 0});
      });
      return RunningFake{f, fakeSection("hetzner", "api_token = hetzner-token\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
