// SPDX-License-Identifier: MIT
// A fake Gandi LiveDNS API v5; see fake_gandi.hpp and https://api.gandi.net/docs/livedns/
#include "tests/support/fake_gandi.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

FakeResponse gandiError(int code, const std::string& message, const std::string& object,
                        const std::string& cause) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("message");
  w.String(message.c_str());
  w.Key("object");
  w.String(object.c_str());
  w.Key("cause");
  w.String(cause.c_str());
  w.EndObject();
  return jsonReply(code, buf.GetString());
}

}  // namespace

FakeGandi::FakeGandi(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeGandi::~FakeGandi() {
  server_->stop();
}

std::string FakeGandi::endpoint() const {
  return server_->url() + "/v5/livedns";
}

void FakeGandi::addDomain(const std::string& domain, bool allowed) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
  allowed_[domain] = allowed;
}

void FakeGandi::setRRset(const std::string& domain, const std::string& name,
                         const std::string& type, RRset rrset) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain][name + " " + type] = std::move(rrset);
}

std::optional<FakeGandi::RRset> FakeGandi::rrset(const std::string& domain, const std::string& name,
                                                 const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  if (d == domains_.end()) {
    return std::nullopt;
  }
  const auto it = d->second.find(name + " " + type);
  return it == d->second.end() ? std::nullopt : std::optional<RRset>(it->second);
}

void FakeGandi::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeGandi::requests() const {
  return server_->requests();
}

FakeResponse FakeGandi::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("authorization") != "Bearer " + token_) {
    return gandiError(401,
                      "The server could not verify that you are authorized to access the document "
                      "you requested.",
                      "HTTPUnauthorized", "Unauthorized");
  }
  // /v5/livedns/domains/FQDN/records/NAME/TYPE
  std::vector<std::string> parts;
  for (size_t pos = 1; pos <= req.path.size();) {
    const size_t slash = req.path.find('/', pos);
    const size_t end = slash == std::string::npos ? req.path.size() : slash;
    parts.push_back(urlDecode(req.path.substr(pos, end - pos)));
    pos = end + 1;
  }
  const FakeResponse notFound =
      gandiError(404, "Can't find the DNS record", "dns-record", "Not Found");
  if (parts.size() != 7 || parts[0] != "v5" || parts[1] != "livedns" || parts[2] != "domains" ||
      parts[4] != "records") {
    return notFound;
  }
  const auto d = domains_.find(parts[3]);
  if (d == domains_.end()) {
    return gandiError(404, "Domain not found", "domain", "Not Found");
  }
  if (!allowed_[parts[3]]) {
    return gandiError(403, "Access was denied to this resource.", "HTTPForbidden", "Forbidden");
  }
  const std::string key = parts[5] + " " + parts[6];
  if (req.method == "GET") {
    const auto it = d->second.find(key);
    if (it == d->second.end()) {
      return notFound;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("rrset_name");
    w.String(parts[5].c_str());
    w.Key("rrset_type");
    w.String(parts[6].c_str());
    w.Key("rrset_ttl");
    w.Int64(it->second.ttl);
    w.Key("rrset_values");
    w.StartArray();
    for (const auto& v : it->second.values) {
      w.String(v.c_str());
    }
    w.EndArray();
    w.Key("rrset_href");
    w.String(("https://api.gandi.net" + req.path).c_str());
    w.EndObject();
    return jsonReply(200, buf.GetString());
  }
  if (req.method == "PUT") {
    rapidjson::Document body;
    std::string parseError;
    if (!json::parse(body, req.body, parseError) || !body.IsObject() ||
        !body.HasMember("rrset_values") || !body["rrset_values"].IsArray()) {
      return gandiError(400, "Bad Request", "HTTPBadRequest", "Bad Request");
    }
    RRset set;
    set.ttl = body.HasMember("rrset_ttl") && body["rrset_ttl"].IsInt64()
                  ? body["rrset_ttl"].GetInt64()
                  : 10800;
    for (const auto& v : body["rrset_values"].GetArray()) {
      set.values.push_back(v.IsString() ? v.GetString() : "?");
    }
    d->second[key] = set;
    return jsonReply(201, R"({"message":"DNS Record Created"})");
  }
  return gandiError(405, "Method Not Allowed", "HTTPMethodNotAllowed", "Method Not Allowed");
}

namespace {

// `chipmunk-fake gandi` (tests/support/runnable_fake.hpp).
const RunnableFake kGandiRunnable{
    "gandi", [] {
      auto f = std::make_shared<FakeGandi>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->setRRset("example.com", "home", type, {300, {ip}});
      });
      return RunningFake{f, fakeSection("gandi", "token = gandi-pat\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
