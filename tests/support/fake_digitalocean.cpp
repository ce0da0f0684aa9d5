// SPDX-License-Identifier: MIT
// A fake DigitalOcean API v2; see fake_digitalocean.hpp and
// https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records
#include "tests/support/fake_digitalocean.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

FakeResponse digitaloceanNotFound() {
  return jsonReply(
      404, R"({"id":"not_found","message":"The resource you were accessing could not be found."})");
}

void write(rapidjson::Writer<rapidjson::StringBuffer>& w, const FakeDigitalOcean::DnsRecord& r) {
  w.StartObject();
  w.Key("id");
  w.Int64(r.id);
  w.Key("type");
  w.String(r.type.c_str());
  w.Key("name");
  w.String(r.name.c_str());
  w.Key("data");
  w.String(r.data.c_str());
  w.Key("priority");
  w.Int(r.priority);
  w.Key("port");
  w.Null();
  w.Key("ttl");
  w.Int64(r.ttl);
  w.Key("weight");
  w.Null();
  w.Key("flags");
  w.Null();
  w.Key("tag");
  w.String(r.tag.c_str());
  w.EndObject();
}

}  // namespace

FakeDigitalOcean::FakeDigitalOcean(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeDigitalOcean::~FakeDigitalOcean() {
  server_->stop();
}

std::string FakeDigitalOcean::endpoint() const {
  return server_->url() + "/v2";
}

void FakeDigitalOcean::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
}

long long FakeDigitalOcean::addRecord(const std::string& domain, DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = nextId_++;
  domains_[domain].push_back(record);
  return record.id;
}

std::optional<FakeDigitalOcean::DnsRecord> FakeDigitalOcean::record(const std::string& domain,
                                                                    const std::string& type,
                                                                    const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  if (d != domains_.end()) {
    for (const auto& r : d->second) {
      if (r.type == type && r.name == name) {
        return r;
      }
    }
  }
  return std::nullopt;
}

void FakeDigitalOcean::setPageSize(int size) {
  std::lock_guard<std::mutex> lock(mutex_);
  pageSize_ = size;
}

void FakeDigitalOcean::ignoreNameFilter(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  ignoreName_ = on;
}

void FakeDigitalOcean::failNext(int status, std::string body,
                                std::vector<std::pair<std::string, std::string>> headers) {
  failures_.push(status, std::move(body), std::move(headers));
}

std::vector<FakeRequest> FakeDigitalOcean::requests() const {
  return server_->requests();
}

FakeResponse FakeDigitalOcean::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  if (req.header("authorization") != "Bearer " + token_) {
    return jsonReply(401, R"({"id":"unauthorized","message":"Unable to authenticate you"})");
  }
  const std::string prefix = "/v2/domains/";
  if (req.path.rfind(prefix, 0) != 0) {
    return digitaloceanNotFound();
  }
  const std::string rest = req.path.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string domain = rest.substr(0, slash);
  const auto d = domains_.find(domain);
  if (d == domains_.end() || slash == std::string::npos ||
      rest.compare(slash, 8, "/records") != 0) {
    return digitaloceanNotFound();
  }
  auto& records = d->second;
  const std::string idPart = rest.size() > slash + 9 ? rest.substr(slash + 9) : "";
  if (req.method == "GET" && idPart.empty()) {
    return list(domain, records, req);
  }
  return change(records, idPart, req);
}

// GET /v2/domains/DOMAIN/records?type=&name=&page=&per_page=: links.pages.next until done.
FakeResponse FakeDigitalOcean::list(const std::string& domain,
                                    const std::vector<DnsRecord>& records,
                                    const FakeRequest& req) const {
  const std::string type = req.param("type");
  std::string name = urlDecode(req.param("name"));
  if (name == domain) {
    name = "@";
  } else if (name.size() > domain.size() + 1) {
    name = name.substr(0, name.size() - domain.size() - 1);
  }
  std::vector<const DnsRecord*> matched;
  for (const auto& r : records) {
    if ((type.empty() || r.type == type) && (ignoreName_ || name.empty() || r.name == name)) {
      matched.push_back(&r);
    }
  }
  int perPage = req.param("per_page").empty() ? 20 : std::stoi(req.param("per_page"));
  perPage = std::max(1, std::min(perPage, pageSize_));
  const int page = req.param("page").empty() ? 1 : std::stoi(req.param("page"));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("domain_records");
  w.StartArray();
  for (size_t i = static_cast<size_t>((page - 1) * perPage);
       i < matched.size() && i < static_cast<size_t>(page * perPage); ++i) {
    write(w, *matched[i]);
  }
  w.EndArray();
  w.Key("links");
  w.StartObject();
  if (static_cast<size_t>(page * perPage) < matched.size()) {
    w.Key("pages");
    w.StartObject();
    w.Key("next");
    const std::string next = "https://api.digitalocean.com/v2/domains/" + domain +
                             "/records?page=" + std::to_string(page + 1) +
                             "&per_page=" + std::to_string(perPage) + "&type=" + type +
                             "&name=" + req.param("name");
    w.String(next.c_str());
    w.EndObject();
  }
  w.EndObject();
  w.Key("meta");
  w.StartObject();
  w.Key("total");
  w.Int64(static_cast<long long>(matched.size()));
  w.EndObject();
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

// PATCH .../records/ID (fields not sent kept) and POST .../records.
FakeResponse FakeDigitalOcean::change(std::vector<DnsRecord>& records, const std::string& idPart,
                                      const FakeRequest& req) {
  rapidjson::Document body;
  std::string error;
  if ((req.method == "PATCH" || req.method == "POST") &&
      (!json::parse(body, req.body, error) || !body.IsObject())) {
    return jsonReply(400, R"({"id":"bad_request","message":"invalid JSON"})");
  }
  const auto str = [&body](const char* key) {
    return body.HasMember(key) && body[key].IsString() ? std::string(body[key].GetString())
                                                       : std::string();
  };
  if (req.method == "PATCH" && !idPart.empty()) {
    for (auto& r : records) {
      if (std::to_string(r.id) == idPart) {
        if (body.HasMember("data")) {
          r.data = str("data");
        }
        if (body.HasMember("ttl") && body["ttl"].IsInt64()) {
          r.ttl = body["ttl"].GetInt64();
        }
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.StartObject();
        w.Key("domain_record");
        write(w, r);
        w.EndObject();
        return jsonReply(200, buf.GetString());
      }
    }
    return digitaloceanNotFound();
  }
  if (req.method == "POST" && idPart.empty()) {
    DnsRecord r;
    r.id = nextId_++;
    r.type = str("type");
    r.name = str("name");
    r.data = str("data");
    if (body.HasMember("ttl") && body["ttl"].IsInt64()) {
      r.ttl = body["ttl"].GetInt64();
    }
    records.push_back(r);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("domain_record");
    write(w, r);
    w.EndObject();
    return jsonReply(201, buf.GetString());
  }
  return digitaloceanNotFound();
}

namespace {

// `chipmunk-fake digitalocean` (tests/support/runnable_fake.hpp).
const RunnableFake kDigitaloceanRunnable{
    "digitalocean", [] {
      auto f = std::make_shared<FakeDigitalOcean>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {0, type, "home", ip, 1800, 0, ""});
      });
      return RunningFake{f,
                         fakeSection("digitalocean", "api_token = do-test-token\n", f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
