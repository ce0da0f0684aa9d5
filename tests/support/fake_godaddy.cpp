// SPDX-License-Identifier: MIT
// A fake GoDaddy Domains API v1; see fake_godaddy.hpp and
// https://developer.godaddy.com/doc/endpoint/domains
#include "tests/support/fake_godaddy.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

FakeResponse godaddyError(int status, const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("code");
  w.String(code.c_str());
  w.Key("message");
  w.String(message.c_str());
  w.EndObject();
  return jsonReply(status, buf.GetString());
}

}  // namespace

FakeGoDaddy::FakeGoDaddy(std::string key, std::string secret)
    : auth_("sso-key " + key + ":" + secret),
      server_(
          std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); })) {}

FakeGoDaddy::~FakeGoDaddy() {
  server_->stop();
}

std::string FakeGoDaddy::endpoint() const {
  return server_->url() + "/v1";
}

void FakeGoDaddy::addDomain(const std::string& domain, bool apiAccess) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
  access_[domain] = apiAccess;
}

void FakeGoDaddy::setRecords(const std::string& domain, const std::string& type,
                             const std::string& name, std::vector<Entry> entries) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain][type + " " + name] = std::move(entries);
}

std::vector<FakeGoDaddy::Entry> FakeGoDaddy::records(const std::string& domain,
                                                     const std::string& type,
                                                     const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  if (d == domains_.end()) {
    return {};
  }
  const auto it = d->second.find(type + " " + name);
  return it == d->second.end() ? std::vector<Entry>{} : it->second;
}

void FakeGoDaddy::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeGoDaddy::requests() const {
  return server_->requests();
}

namespace {

// "/v1/domains/DOMAIN/records/TYPE/NAME" -> its segments, percent-decoded.
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> parts = splitPath(path);
  for (auto& part : parts) {
    part = urlDecode(part);
  }
  return parts;
}

// GET: [{"data","name","ttl","type"}], [] when there is none.
FakeResponse godaddyListing(const std::vector<FakeGoDaddy::Entry>& entries, const std::string& type,
                            const std::string& name) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    w.Key("data");
    w.String(e.data.c_str());
    w.Key("name");
    w.String(name.c_str());
    w.Key("ttl");
    w.Int64(e.ttl);
    w.Key("type");
    w.String(type.c_str());
    w.EndObject();
  }
  w.EndArray();
  return jsonReply(200, buf.GetString());
}

// PUT [{"data","ttl"}]: replaces every record of the name and type; TTL 600 or more.
FakeResponse replace(std::vector<FakeGoDaddy::Entry>& entries, const std::string& text) {
  rapidjson::Document body;
  std::string parseError;
  if (!json::parse(body, text, parseError) || !body.IsArray()) {
    return godaddyError(422, "INVALID_BODY", "Request body doesn't fulfill schema");
  }
  std::vector<FakeGoDaddy::Entry> next;
  for (const auto& item : body.GetArray()) {
    if (!item.IsObject() || !item.HasMember("data") || !item["data"].IsString()) {
      return godaddyError(422, "INVALID_BODY", "Request body doesn't fulfill schema");
    }
    FakeGoDaddy::Entry e;
    e.data = item["data"].GetString();
    if (item.HasMember("ttl") && item["ttl"].IsInt64()) {
      e.ttl = item["ttl"].GetInt64();
    }
    if (e.ttl < 600) {
      return godaddyError(422, "INVALID_BODY", "ttl must be at least 600");
    }
    next.push_back(e);
  }
  entries = next;
  return jsonReply(200, "");
}

}  // namespace

FakeResponse FakeGoDaddy::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("authorization") != auth_) {
    return godaddyError(401, "UNABLE_TO_AUTHENTICATE",
                        "Unable to authenticate user with given credentials");
  }
  const std::vector<std::string> parts = segments(req.path);
  if (parts.size() != 6 || parts[0] != "v1" || parts[1] != "domains" || parts[3] != "records") {
    return godaddyError(404, "NOT_FOUND", "Not found");
  }
  const auto d = domains_.find(parts[2]);
  if (d == domains_.end()) {
    return godaddyError(404, "UNKNOWN_DOMAIN",
                        "The given domain is not registered, or does not have a zone file");
  }
  if (!access_[parts[2]]) {
    return godaddyError(403, "ACCESS_DENIED", "Authenticated user is not allowed access");
  }
  auto& entries = d->second[parts[4] + " " + parts[5]];
  if (req.method == "GET") {
    return godaddyListing(entries, parts[4], parts[5]);
  }
  if (req.method == "PUT") {
    return replace(entries, req.body);
  }
  return godaddyError(405, "METHOD_NOT_ALLOWED", "Method not allowed");
}

namespace {

// `chipmunk-fake godaddy` (tests/support/runnable_fake.hpp).
const RunnableFake kGodaddyRunnable{
    "godaddy", [] {
      auto f = std::make_shared<FakeGoDaddy>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->setRecords("example.com", type, "home", {{ip, 600}});
      });
      return RunningFake{
          f, fakeSection("godaddy", "api_key = gd-key\napi_secret = gd-secret\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
