// SPDX-License-Identifier: MIT
// A fake deSEC API v1; see fake_desec.hpp and
// https://desec.readthedocs.io/en/latest/dns/rrsets.html
#include "tests/support/fake_desec.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

constexpr long long kMinimumTtl = 3600;

FakeResponse desecNotFound() {
  return jsonReply(404, R"({"detail":"Not found."})");
}

std::string render(const std::string& domain, const std::string& subname, const std::string& type,
                   const FakeDesec::RRset& set) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("created");
  w.String("2026-01-01T00:00:00.000000Z");
  w.Key("domain");
  w.String(domain.c_str());
  w.Key("subname");
  w.String(subname.c_str());
  w.Key("name");
  w.String(((subname.empty() ? "" : subname + ".") + domain + ".").c_str());
  w.Key("type");
  w.String(type.c_str());
  w.Key("ttl");
  w.Int64(set.ttl);
  w.Key("records");
  w.StartArray();
  for (const auto& r : set.records) {
    w.String(r.c_str());
  }
  w.EndArray();
  w.Key("touched");
  w.String("2026-01-01T00:00:00.000000Z");
  w.EndObject();
  return buf.GetString();
}

// Applies "ttl" and "records" of `body` to `set`; an error reply, or empty.
std::optional<FakeResponse> apply(const rapidjson::Document& body, FakeDesec::RRset& set) {
  if (body.HasMember("ttl")) {
    if (!body["ttl"].IsInt64() || body["ttl"].GetInt64() < kMinimumTtl) {
      return jsonReply(400, R"({"ttl":["Ensure this value is greater than or equal to 3600."]})");
    }
    set.ttl = body["ttl"].GetInt64();
  }
  if (body.HasMember("records")) {
    if (!body["records"].IsArray()) {
      return jsonReply(400, R"({"records":["Expected a list of items."]})");
    }
    set.records.clear();
    for (const auto& r : body["records"].GetArray()) {
      set.records.push_back(r.IsString() ? r.GetString() : "?");
    }
  }
  return std::nullopt;
}

}  // namespace

FakeDesec::FakeDesec(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeDesec::~FakeDesec() {
  server_->stop();
}

std::string FakeDesec::endpoint() const {
  return server_->url() + "/api/v1";
}

void FakeDesec::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
}

void FakeDesec::setRRset(const std::string& domain, const std::string& subname,
                         const std::string& type, RRset rrset) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain][subname + " " + type] = std::move(rrset);
}

std::optional<FakeDesec::RRset> FakeDesec::rrset(const std::string& domain,
                                                 const std::string& subname,
                                                 const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  if (d == domains_.end()) {
    return std::nullopt;
  }
  const auto it = d->second.find(subname + " " + type);
  return it == d->second.end() ? std::nullopt : std::optional<RRset>(it->second);
}

void FakeDesec::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeDesec::requests() const {
  return server_->requests();
}

FakeResponse FakeDesec::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("authorization") != "Token " + token_) {
    return jsonReply(401, R"({"detail":"Invalid token."})");
  }
  // /api/v1/domains/DOMAIN/rrsets/[SUBNAME/TYPE/]
  std::vector<std::string> parts;
  for (size_t pos = 1; pos < req.path.size();) {
    const size_t slash = req.path.find('/', pos);
    const size_t end = slash == std::string::npos ? req.path.size() : slash;
    parts.push_back(req.path.substr(pos, end - pos));
    pos = end + 1;
  }
  if (parts.size() < 5 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "domains" ||
      parts[4] != "rrsets" || req.path.back() != '/') {
    return desecNotFound();
  }
  const auto d = domains_.find(parts[3]);
  if (d == domains_.end()) {
    return desecNotFound();
  }
  rapidjson::Document body;
  std::string error;
  if ((req.method == "PATCH" || req.method == "POST") &&
      (!json::parse(body, req.body, error) || !body.IsObject())) {
    return jsonReply(400, R"({"detail":"JSON parse error"})");
  }
  if (parts.size() == 7) {
    const std::string subname = parts[5] == "@" ? "" : parts[5];
    const auto it = d->second.find(subname + " " + parts[6]);
    if (it == d->second.end()) {
      return desecNotFound();
    }
    if (req.method == "GET") {
      return jsonReply(200, render(d->first, subname, parts[6], it->second));
    }
    if (req.method == "PATCH") {
      RRset next = it->second;
      if (auto bad = apply(body, next)) {
        return *bad;
      }
      it->second = next;
      return jsonReply(200, render(d->first, subname, parts[6], it->second));
    }
    return jsonReply(405, R"({"detail":"Method not allowed."})");
  }
  if (parts.size() == 5 && req.method == "POST") {
    const std::string subname =
        body.HasMember("subname") && body["subname"].IsString() ? body["subname"].GetString() : "";
    const std::string type =
        body.HasMember("type") && body["type"].IsString() ? body["type"].GetString() : "";
    if (d->second.count(subname + " " + type) != 0) {
      return jsonReply(
          400,
          R"({"non_field_errors":["Another RRset with the same subdomain and type exists for this domain."]})");
    }
    RRset set;
    if (auto bad = apply(body, set)) {
      return *bad;
    }
    d->second[subname + " " + type] = set;
    return jsonReply(201, render(d->first, subname, type, set));
  }
  return desecNotFound();
}

namespace {

// `chipmunk-fake desec` (tests/support/runnable_fake.hpp).
const RunnableFake kDesecRunnable{
    "desec", [] {
      auto f = std::make_shared<FakeDesec>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->setRRset("example.com", "home", type, {3600, {ip}});
      });
      return RunningFake{f, fakeSection("desec", "token = desec-token\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
