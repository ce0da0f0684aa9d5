// SPDX-License-Identifier: MIT
// A fake Njalla API (record methods); see fake_njalla.hpp and https://njal.la/api/
#include "tests/support/fake_njalla.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write(Writer& w, const FakeNjalla::DnsRecord& r) {
  w.StartObject();
  w.Key("id");
  w.Int64(r.id);
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"name", &r.name},
                                   {"type", &r.type},
                                   {"content", &r.content}}) {
    w.Key(key);
    w.String(value->c_str());
  }
  w.Key("ttl");
  w.Int64(r.ttl);
  w.EndObject();
}

// {"jsonrpc":"2.0", member: ...}, the member's value written by `body` (HTTP 200 either way).
template <typename F>
FakeResponse njallaAnswer(const char* member, F body) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key(member);
  body(w);
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

template <typename F>
FakeResponse result(F body) {
  return njallaAnswer("result", body);
}

FakeResponse njallaError(int code, const std::string& message) {
  return njallaAnswer("error", [&](Writer& w) {
    w.StartObject();
    w.Key("code");
    w.Int(code);
    w.Key("message");
    w.String(message.c_str());
    w.EndObject();
  });
}

std::string njallaText(const rapidjson::Value& v, const char* key) {
  const auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool validTtl(const rapidjson::Value& params) {
  const auto it = params.FindMember("ttl");
  if (it == params.MemberEnd()) {
    return true;
  }
  static const std::vector<long long> allowed = {60, 300, 900, 3600, 10800, 21600, 86400};
  return it->value.IsInt64() &&
         std::count(allowed.begin(), allowed.end(), it->value.GetInt64()) == 1;
}

}  // namespace

FakeNjalla::FakeNjalla(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeNjalla::~FakeNjalla() {
  server_->stop();
}

std::string FakeNjalla::endpoint() const {
  return server_->url() + "/api/1";
}

void FakeNjalla::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
}

long long FakeNjalla::addRecord(const std::string& domain, DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = nextId_++;
  domains_[domain].push_back(record);
  return record.id;
}

std::optional<FakeNjalla::DnsRecord> FakeNjalla::record(const std::string& domain,
                                                        const std::string& name,
                                                        const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  if (d != domains_.end()) {
    for (const auto& r : d->second) {
      if (r.name == name && r.type == type) {
        return r;
      }
    }
  }
  return std::nullopt;
}

void FakeNjalla::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeNjalla::requests() const {
  return server_->requests();
}

FakeResponse FakeNjalla::handle(const FakeRequest& req) {
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (req.method != "POST" || req.path != "/api/1/") {
    return jsonReply(404, "<html>Not Found</html>");
  }
  if (req.header("authorization") != "Njalla " + token_) {
    return njallaError(403, "Permission denied.");
  }
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, req.body, parseError) || !body.IsObject() || !body.HasMember("params") ||
      !body["params"].IsObject()) {
    return njallaError(-32700, "Parse error.");
  }
  const rapidjson::Value& params = body["params"];
  const std::string domain = njallaText(params, "domain");
  if (domains_.count(domain) == 0) {
    return njallaError(404, "Domain not found.");
  }
  if (!validTtl(params)) {
    return njallaError(400, "Invalid TTL.");
  }
  const std::string method = njallaText(body, "method");
  if (method == "list-records") {
    return list(domain);
  }
  if (method == "edit-record") {
    return edit(domain, params);
  }
  if (method == "add-record") {
    return add(domain, params);
  }
  return njallaError(-32601, "Method not found.");
}

FakeResponse FakeNjalla::list(const std::string& domain) const {
  return result([&](Writer& w) {
    w.StartObject();
    w.Key("records");
    w.StartArray();
    for (const auto& r : domains_.at(domain)) {
      write(w, r);
    }
    w.EndArray();
    w.EndObject();
  });
}

FakeResponse FakeNjalla::edit(const std::string& domain, const rapidjson::Value& params) {
  const auto id = params.FindMember("id");
  if (id == params.MemberEnd() || !id->value.IsInt64()) {
    return njallaError(400, "Invalid id.");
  }
  for (auto& r : domains_.at(domain)) {
    if (r.id != id->value.GetInt64()) {
      continue;
    }
    if (params.HasMember("content")) {
      r.content = njallaText(params, "content");
    }
    if (params.HasMember("ttl")) {
      r.ttl = params["ttl"].GetInt64();
    }
    return result([&](Writer& w) { write(w, r); });
  }
  return njallaError(404, "Record not found.");
}

FakeResponse FakeNjalla::add(const std::string& domain, const rapidjson::Value& params) {
  DnsRecord r{nextId_++, njallaText(params, "name"), njallaText(params, "type"),
              njallaText(params, "content")};
  if (r.name.empty() || r.type.empty() || r.content.empty() || !params.HasMember("ttl")) {
    return njallaError(400, "Missing name, type, content or ttl.");
  }
  r.ttl = params["ttl"].GetInt64();
  domains_[domain].push_back(r);
  return result([&](Writer& w) { write(w, r); });
}

namespace {

// `chipmunk-fake njalla` (tests/support/runnable_fake.hpp).
const RunnableFake kNjallaRunnable{
    "njalla", [] {
      auto f = std::make_shared<FakeNjalla>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {0, "home", type, ip});
      });
      return RunningFake{f, fakeSection("njalla", "token = njalla-token\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
