// SPDX-License-Identifier: MIT
// A fake Porkbun API v3; see fake_porkbun.hpp and
// https://porkbun.com/api/json/v3/documentation
#include "tests/support/fake_porkbun.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

constexpr const char* kPorkbunBase = "/api/json/v3";

FakeResponse porkbunError(const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String("ERROR");
  w.Key("message");
  w.String(message.c_str());
  w.EndObject();
  return jsonReply(400, buf.GetString());
}

std::string field(const rapidjson::Document& doc, const char* key) {
  const auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool has(const rapidjson::Document& doc, const char* key) {
  return doc.FindMember(key) != doc.MemberEnd();
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    if (slash > pos) {
      parts.push_back(path.substr(pos, slash - pos));
    }
    pos = slash + 1;
  }
  return parts;
}

}  // namespace

FakePorkbun::FakePorkbun(std::string apiKey, std::string secretKey)
    : apiKey_(std::move(apiKey)), secretKey_(std::move(secretKey)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakePorkbun::~FakePorkbun() {
  server_->stop();
}

std::string FakePorkbun::endpoint() const {
  return server_->url() + kPorkbunBase;
}

int FakePorkbun::port() const {
  return server_->port();
}

void FakePorkbun::addDomain(const std::string& domain, bool apiAccess) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain] = apiAccess;
}

std::string FakePorkbun::addRecord(const std::string& domain, DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = std::to_string(nextId_++);
  records_.emplace_back(domain, record);
  return record.id;
}

std::optional<FakePorkbun::DnsRecord> FakePorkbun::record(const std::string& fqdn,
                                                          const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [domain, r] : records_) {
    if (r.name == fqdn && r.type == type) {
      return r;
    }
  }
  return std::nullopt;
}

void FakePorkbun::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakePorkbun::requests() const {
  return server_->requests();
}

FakeResponse FakePorkbun::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.method != "POST" || req.path.rfind(kPorkbunBase, 0) != 0) {
    return jsonReply(404, "<html>Not Found</html>");
  }
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, req.body, parseError) || !body.IsObject()) {
    return porkbunError("Invalid JSON.");
  }
  if (field(body, "apikey") != apiKey_ || field(body, "secretapikey") != secretKey_) {
    return porkbunError("Invalid API key. (002)");
  }
  const auto parts = split(req.path.substr(std::string(kPorkbunBase).size()));
  if (parts.size() == 1 && parts[0] == "ping") {
    return jsonReply(200, R"({"status":"SUCCESS","yourIp":"127.0.0.1"})");
  }
  if (parts.size() < 3 || parts[0] != "dns") {
    return porkbunError("Invalid command.");
  }
  const std::string& domain = parts[2];
  const auto d = domains_.find(domain);
  if (d == domains_.end()) {
    return porkbunError("Invalid domain.");
  }
  if (!d->second) {
    return porkbunError("Domain is not opted in to API access.");
  }
  if (parts[1] == "retrieveByNameType" && (parts.size() == 4 || parts.size() == 5)) {
    return retrieve(domain, parts[3], parts.size() == 5 ? parts[4] : "");
  }
  if (parts[1] == "edit" && parts.size() == 4) {
    return edit(domain, parts[3], body);
  }
  if (parts[1] == "create" && parts.size() == 3) {
    return create(domain, body);
  }
  return porkbunError("Invalid command.");
}

namespace {

std::string fqdn(const std::string& sub, const std::string& domain) {
  return sub.empty() ? domain : sub + "." + domain;
}

}  // namespace

// POST /dns/retrieveByNameType/DOMAIN/TYPE[/SUBDOMAIN]: numbers as strings.
FakeResponse FakePorkbun::retrieve(const std::string& domain, const std::string& type,
                                   const std::string& sub) const {
  const std::string name = fqdn(sub, domain);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String("SUCCESS");
  w.Key("records");
  w.StartArray();
  for (const auto& [dom, r] : records_) {
    if (dom == domain && r.name == name && r.type == type) {
      w.StartObject();
      for (const auto& [k, v] :
           std::vector<std::pair<const char*, std::string>>{{"id", r.id},
                                                            {"name", r.name},
                                                            {"type", r.type},
                                                            {"content", r.content},
                                                            {"ttl", r.ttl},
                                                            {"prio", r.prio},
                                                            {"notes", r.notes}}) {
        w.Key(k);
        w.String(v.c_str());
      }
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

// POST /dns/edit/DOMAIN/ID: a full replacement; an edit that changes nothing is an error.
FakeResponse FakePorkbun::edit(const std::string& domain, const std::string& id,
                               const rapidjson::Document& body) {
  for (auto& [dom, r] : records_) {
    if (dom != domain || r.id != id) {
      continue;
    }
    // A full replacement: what is not sent is reset.
    DnsRecord next = r;
    next.name = fqdn(field(body, "name"), domain);
    next.type = field(body, "type");
    next.content = field(body, "content");
    next.ttl = has(body, "ttl") ? field(body, "ttl") : "600";
    next.prio = has(body, "prio") ? field(body, "prio") : "0";
    next.notes = field(body, "notes");
    if (next.name == r.name && next.type == r.type && next.content == r.content &&
        next.ttl == r.ttl && next.prio == r.prio && next.notes == r.notes) {
      return porkbunError("Edit error: We were unable to edit the DNS record.");
    }
    r = next;
    return jsonReply(200, R"({"status":"SUCCESS"})");
  }
  return porkbunError("Edit error: Invalid record ID.");
}

// POST /dns/create/DOMAIN {name, type, content[, ttl]}.
FakeResponse FakePorkbun::create(const std::string& domain, const rapidjson::Document& body) {
  DnsRecord r;
  r.id = std::to_string(nextId_++);
  r.name = fqdn(field(body, "name"), domain);
  r.type = field(body, "type");
  r.content = field(body, "content");
  if (has(body, "ttl")) {
    r.ttl = field(body, "ttl");
  }
  records_.emplace_back(domain, r);
  return jsonReply(200, R"({"status":"SUCCESS","id":)" + r.id + "}");
}

namespace {

// `chipmunk-fake porkbun` (tests/support/runnable_fake.hpp).
const RunnableFake kPorkbunRunnable{
    "porkbun", [] {
      auto f = std::make_shared<FakePorkbun>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {"", "home.example.com", type, ip, "600", "0", ""});
      });
      return RunningFake{
          f,
          fakeSection("porkbun", "api_key = pk1_test\nsecret_api_key = sk1_test\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
