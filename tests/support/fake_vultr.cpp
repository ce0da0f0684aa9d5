// SPDX-License-Identifier: MIT
// A fake Vultr API v2 (DNS records); see fake_vultr.hpp and https://www.vultr.com/api/#tag/dns
#include "tests/support/fake_vultr.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

FakeResponse vultrError(int status, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message.c_str());
  w.Key("status");
  w.Int(status);
  w.EndObject();
  return jsonReply(status, buf.GetString());
}

void write(rapidjson::Writer<rapidjson::StringBuffer>& w, const FakeVultr::DnsRecord& r) {
  w.StartObject();
  w.Key("id");
  w.String(r.id.c_str());
  w.Key("type");
  w.String(r.type.c_str());
  w.Key("name");
  w.String(r.name.c_str());
  w.Key("data");
  w.String(r.data.c_str());
  w.Key("priority");
  w.Int(r.priority);
  w.Key("ttl");
  w.Int64(r.ttl);
  w.EndObject();
}

}  // namespace

FakeVultr::FakeVultr(std::string key) : key_(std::move(key)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeVultr::~FakeVultr() {
  server_->stop();
}

std::string FakeVultr::endpoint() const {
  return server_->url() + "/v2";
}

void FakeVultr::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_.push_back(domain);
}

std::string FakeVultr::addRecord(DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = "cb676a46-66fd-4dfb-b839-" + std::to_string(100000000000 + nextId_++);
  records_.push_back(record);
  return record.id;
}

std::optional<FakeVultr::DnsRecord> FakeVultr::record(const std::string& domain,
                                                      const std::string& type,
                                                      const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& r : records_) {
    if (r.domain == domain && r.type == type && r.name == name) {
      return r;
    }
  }
  return std::nullopt;
}

void FakeVultr::setPageSize(int size) {
  std::lock_guard<std::mutex> lock(mutex_);
  pageSize_ = size;
}

void FakeVultr::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeVultr::requests() const {
  return server_->requests();
}

// Routes GET, POST .../records and PATCH .../records/ID of a known domain; the rest is 404
// or 405, as the API answers them.
FakeResponse FakeVultr::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("authorization") != "Bearer " + key_) {
    return vultrError(401, "Invalid API token.");
  }
  const std::string prefix = "/v2/domains/";
  if (req.path.rfind(prefix, 0) != 0) {
    return vultrError(404, "Not found");
  }
  const std::string rest = req.path.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string domain = rest.substr(0, slash);
  if (std::find(domains_.begin(), domains_.end(), domain) == domains_.end() ||
      slash == std::string::npos || rest.compare(slash, 8, "/records") != 0) {
    return vultrError(404, "Unable to find domain");
  }
  const std::string id = rest.size() > slash + 9 ? rest.substr(slash + 9) : "";
  if (req.method == "GET" && id.empty()) {
    return list(domain, req);
  }
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, req.body, parseError) || !body.IsObject()) {
    return vultrError(400, "Invalid JSON");
  }
  if (req.method == "PATCH" && !id.empty()) {
    return patch(domain, id, body);
  }
  if (req.method == "POST" && id.empty()) {
    return create(domain, body);
  }
  return vultrError(405, "Method not allowed");
}

// GET /v2/domains/DOMAIN/records?per_page=&cursor=: cursor pagination.
FakeResponse FakeVultr::list(const std::string& domain, const FakeRequest& req) const {
  std::vector<const DnsRecord*> mine;
  for (const auto& r : records_) {
    if (r.domain == domain) {
      mine.push_back(&r);
    }
  }
  const int perPage = std::max(
      1,
      std::min(pageSize_, req.param("per_page").empty() ? 100 : std::stoi(req.param("per_page"))));
  // The cursor is an opaque token; here, "c" + the index of the page's first entry.
  const std::string cursor = urlDecode(req.param("cursor"));
  const size_t start = cursor.size() > 1 && cursor[0] == 'c' ? std::stoul(cursor.substr(1)) : 0;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (size_t i = start; i < mine.size() && i < start + perPage; ++i) {
    write(w, *mine[i]);
  }
  w.EndArray();
  w.Key("meta");
  w.StartObject();
  w.Key("total");
  w.Int64(static_cast<long long>(mine.size()));
  w.Key("links");
  w.StartObject();
  w.Key("next");
  w.String(start + perPage < mine.size() ? ("c" + std::to_string(start + perPage)).c_str() : "");
  w.Key("prev");
  w.String("");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

namespace {

void text(const rapidjson::Document& body, const char* key, std::string& out) {
  if (body.HasMember(key) && body[key].IsString()) {
    out = body[key].GetString();
  }
}

}  // namespace

// PATCH /v2/domains/DOMAIN/records/ID: fields not sent keep their values; 204.
FakeResponse FakeVultr::patch(const std::string& domain, const std::string& id,
                              const rapidjson::Document& body) {
  for (auto& r : records_) {
    if (r.domain == domain && r.id == id) {
      text(body, "name", r.name);
      text(body, "data", r.data);
      if (body.HasMember("ttl") && body["ttl"].IsInt64()) {
        r.ttl = body["ttl"].GetInt64();
      }
      if (body.HasMember("priority") && body["priority"].IsInt()) {
        r.priority = body["priority"].GetInt();
      }
      return jsonReply(204, "");
    }
  }
  return vultrError(404, "Unable to find record");
}

// POST /v2/domains/DOMAIN/records: 201 {"record":{...}}.
FakeResponse FakeVultr::create(const std::string& domain, const rapidjson::Document& body) {
  DnsRecord r;
  r.id = "cb676a46-66fd-4dfb-b839-" + std::to_string(100000000000 + nextId_++);
  r.domain = domain;
  text(body, "name", r.name);
  text(body, "type", r.type);
  text(body, "data", r.data);
  if (body.HasMember("ttl") && body["ttl"].IsInt64()) {
    r.ttl = body["ttl"].GetInt64();
  }
  records_.push_back(r);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("record");
  write(w, r);
  w.EndObject();
  return jsonReply(201, buf.GetString());
}

namespace {

// `chipmunk-fake vultr` (tests/support/runnable_fake.hpp).
const RunnableFake kVultrRunnable{
    "vultr", [] {
      auto f = std::make_shared<FakeVultr>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord({"", "example.com", type, "home", ip, 300, -1});
      });
      return RunningFake{f, fakeSection("vultr", "api_key = vultr-key\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
