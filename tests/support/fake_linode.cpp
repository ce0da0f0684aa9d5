// SPDX-License-Identifier: MIT
// A fake Linode API v4; see fake_linode.hpp and
// https://techdocs.akamai.com/linode-api/reference/api (Linode API v4 reference).
#include "tests/support/fake_linode.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

#include "common/ip.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {
namespace {

FakeResponse linodeError(int status, const std::string& reason, const std::string& field = {}) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("errors");
  w.StartArray();
  w.StartObject();
  w.Key("reason");
  w.String(reason.c_str());
  if (!field.empty()) {
    w.Key("field");
    w.String(field.c_str());
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  FakeResponse r;
  r.status = status;
  r.body = buf.GetString();
  return r;
}

bool parsePositive(const std::string& text, long long& out) {
  if (text.empty() || text.size() > 15 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return false;
  }
  out = std::stoll(text);
  return out > 0;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

}  // namespace

FakeLinode::FakeLinode(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeLinode::~FakeLinode() {
  server_->stop();
}

std::string FakeLinode::endpoint() const {
  return server_->url() + "/v4";
}
int FakeLinode::port() const {
  return server_->port();
}

long long FakeLinode::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_.push_back({++nextId_, domain, {}});
  return nextId_;
}

long long FakeLinode::addRecord(long long domainId, const std::string& name,
                                const std::string& type, const std::string& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  Domain* d = findDomain(domainId);
  if (d == nullptr) {
    return 0;
  }
  d->records.push_back({++nextId_, name, type, target, 0});
  return nextId_;
}

std::optional<std::string> FakeLinode::target(long long domainId, const std::string& name,
                                              const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& d : domains_) {
    if (d.id != domainId) {
      continue;
    }
    for (const auto& r : d.records) {
      if (r.name == name && r.type == type) {
        return r.target;
      }
    }
  }
  return std::nullopt;
}

void FakeLinode::removeRecord(long long domainId, long long recordId) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Domain* d = findDomain(domainId)) {
    d->records.erase(std::remove_if(d->records.begin(), d->records.end(),
                                    [&](const DomainRecord& r) { return r.id == recordId; }),
                     d->records.end());
  }
}

void FakeLinode::setTarget(long long domainId, const std::string& name, const std::string& type,
                           const std::string& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Domain* d = findDomain(domainId)) {
    for (auto& r : d->records) {
      if (r.name == name && r.type == type) {
        r.target = target;
        return;
      }
    }
  }
}

void FakeLinode::setToken(std::string token) {
  std::lock_guard<std::mutex> lock(mutex_);
  token_ = std::move(token);
}

void FakeLinode::setMaxPageSize(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  maxPageSize_ = n;
}

void FakeLinode::failNext(int status, int count, std::optional<int> retryAfterSeconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  failStatus_ = status;
  failCount_ = count;
  failRetryAfter_ = retryAfterSeconds;
  failBody_.reset();
  failRetryAfterText_.clear();
}

void FakeLinode::answerNext(int status, int count, std::string body, std::string retryAfter) {
  std::lock_guard<std::mutex> lock(mutex_);
  failStatus_ = status;
  failCount_ = count;
  failRetryAfter_.reset();
  failBody_ = std::move(body);
  failRetryAfterText_ = std::move(retryAfter);
}

void FakeLinode::setDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ = delay;
}

std::vector<FakeRequest> FakeLinode::requests() const {
  return server_->requests();
}

int FakeLinode::count(const std::string& method, const std::string& pathPrefix) const {
  int n = 0;
  for (const auto& r : server_->requests()) {
    if (r.method == method && r.path.rfind(pathPrefix, 0) == 0) {
      ++n;
    }
  }
  return n;
}

FakeLinode::Domain* FakeLinode::findDomain(long long id) {
  for (auto& d : domains_) {
    if (d.id == id) {
      return &d;
    }
  }
  return nullptr;
}

namespace {

using Filter = std::map<std::string, std::string>;

// X-Filter: a JSON object of field: value equalities; an error reply when it is not one.
std::optional<FakeResponse> parseFilter(const FakeRequest& req, Filter& filter) {
  const std::string filterText = req.header("x-filter");
  if (filterText.empty()) {
    return std::nullopt;
  }
  rapidjson::Document f;
  f.Parse(filterText.c_str());
  if (f.HasParseError() || !f.IsObject()) {
    return linodeError(400, "Cannot parse X-Filter", "X-Filter");
  }
  for (const auto& m : f.GetObject()) {
    if (!m.value.IsString()) {
      return linodeError(400, "Filter values must be strings in this fake", "X-Filter");
    }
    filter[m.name.GetString()] = m.value.GetString();
  }
  return std::nullopt;
}

// An A record holds an IPv4 address, an AAAA record an IPv6 one.
bool targetFits(const std::string& type, const std::string& target) {
  const auto ip = IpAddress::parse(target);
  return !((type == "A" && !(ip && ip->isV4())) || (type == "AAAA" && !(ip && ip->isV6())));
}

// One page of `total` items (already filtered) as the v4 envelope.
template <typename WriteItem>
FakeResponse pageOf(size_t total, long long page, long long pageSize, WriteItem writeItem) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const long long pages =
      std::max<long long>(1, (static_cast<long long>(total) + pageSize - 1) / pageSize);
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (long long i = (page - 1) * pageSize;
       i < static_cast<long long>(total) && i < page * pageSize; ++i) {
    writeItem(w, static_cast<size_t>(i));
  }
  w.EndArray();
  w.Key("page");
  w.Int64(page);
  w.Key("pages");
  w.Int64(pages);
  w.Key("results");
  w.Int64(static_cast<long long>(total));
  w.EndObject();
  FakeResponse r;
  r.body = buf.GetString();
  return r;
}

void writeRecord(Writer& w, const FakeLinode::DomainRecord& r) {
  w.StartObject();
  w.Key("id");
  w.Int64(r.id);
  w.Key("type");
  w.String(r.type.c_str());
  w.Key("name");
  w.String(r.name.c_str());
  w.Key("target");
  w.String(r.target.c_str());
  w.Key("priority");
  w.Int(0);
  w.Key("weight");
  w.Int(0);
  w.Key("port");
  w.Int(0);
  w.Key("service");
  w.Null();
  w.Key("protocol");
  w.Null();
  w.Key("ttl_sec");
  w.Int64(r.ttl);
  w.Key("tag");
  w.Null();
  w.Key("created");
  w.String("2018-01-01T00:01:01");
  w.Key("updated");
  w.String("2018-01-01T00:01:01");
  w.EndObject();
}

FakeResponse one(const FakeLinode::DomainRecord& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  writeRecord(w, r);
  FakeResponse out;
  out.body = buf.GetString();
  return out;
}

// GET /v4/domains/ID/records: the records that match the filter.
FakeResponse listRecords(const FakeLinode::Domain& domain, const Filter& filter, long long page,
                         long long pageSize) {
  std::vector<const FakeLinode::DomainRecord*> matched;
  for (const auto& r : domain.records) {
    bool ok = true;
    for (const auto& [k, v] : filter) {
      ok = ok && ((k == "name" && r.name == v) || (k == "type" && r.type == v) ||
                  (k == "target" && r.target == v));
    }
    if (ok) {
      matched.push_back(&r);
    }
  }
  return pageOf(matched.size(), page, pageSize,
                [&](Writer& w, size_t i) { writeRecord(w, *matched[i]); });
}

// POST /v4/domains/ID/records {type, name, target, ttl_sec}.
FakeResponse createRecord(FakeLinode::Domain& domain, long long& lastId, const FakeRequest& req) {
  rapidjson::Document body;
  body.Parse(req.body.c_str());
  if (body.HasParseError() || !body.IsObject() || !body.HasMember("type") ||
      !body["type"].IsString()) {
    return linodeError(400, "type is required", "type");
  }
  FakeLinode::DomainRecord r;
  r.type = body["type"].GetString();
  r.name = body.HasMember("name") && body["name"].IsString() ? body["name"].GetString() : "";
  r.target =
      body.HasMember("target") && body["target"].IsString() ? body["target"].GetString() : "";
  r.ttl = body.HasMember("ttl_sec") && body["ttl_sec"].IsInt64() ? body["ttl_sec"].GetInt64() : 0;
  if (!targetFits(r.type, r.target)) {
    return linodeError(400, "Invalid target for this record type", "target");
  }
  r.id = ++lastId;
  domain.records.push_back(r);
  return one(r);
}

// GET or PUT /v4/domains/ID/records/ID: PUT changes the target only, checked for the type.
FakeResponse recordRoute(FakeLinode::DomainRecord& record, const FakeRequest& req) {
  if (req.method == "PUT") {
    rapidjson::Document body;
    body.Parse(req.body.c_str());
    if (body.HasParseError() || !body.IsObject()) {
      return linodeError(400, "Request body must be JSON");
    }
    if (body.HasMember("target")) {
      if (!body["target"].IsString()) {
        return linodeError(400, "target must be a string", "target");
      }
      if (!targetFits(record.type, body["target"].GetString())) {
        return linodeError(400, "Invalid target for this record type", "target");
      }
      record.target = body["target"].GetString();
    }
  } else if (req.method != "GET") {
    return linodeError(405, "Method Not Allowed");
  }
  return one(record);
}

}  // namespace

FakeResponse FakeLinode::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  FakeResponse resp = failCount_ > 0 ? queuedFailure() : route(req);
  resp.delay = delay_;
  return resp;
}

FakeResponse FakeLinode::queuedFailure() {
  --failCount_;
  if (failBody_) {
    FakeResponse r;
    r.status = failStatus_;
    r.body = *failBody_;
    if (!failRetryAfterText_.empty()) {
      r.headers.emplace_back("Retry-After", failRetryAfterText_);
    }
    return r;
  }
  FakeResponse r =
      linodeError(failStatus_, failStatus_ == 429 ? "Too Many Requests" : "Please try again later");
  if (failRetryAfter_) {
    r.headers.emplace_back("Retry-After", std::to_string(*failRetryAfter_));
  }
  return r;
}

// Auth, X-Filter and paging, then the routes: /v4/domains, /v4/domains/ID/records[/ID].
FakeResponse FakeLinode::route(const FakeRequest& req) {
  if (req.header("authorization") != "Bearer " + token_) {
    return linodeError(401, "Invalid Token");
  }
  const auto parts = splitPath(req.path);
  if (parts.size() < 2 || parts[0] != "v4" || parts[1] != "domains") {
    return linodeError(404, "Not found");
  }
  Filter filter;
  if (auto bad = parseFilter(req, filter)) {
    return *bad;
  }
  long long page = 1;
  long long pageSize = 100;
  if (!req.param("page").empty() && !parsePositive(req.param("page"), page)) {
    return linodeError(400, "Must be a positive integer", "page");
  }
  if (!req.param("page_size").empty() &&
      (!parsePositive(req.param("page_size"), pageSize) || pageSize < 25 || pageSize > 500)) {
    return linodeError(400, "Must be 25-500", "page_size");
  }
  pageSize = std::min<long long>(pageSize, maxPageSize_);
  if (parts.size() == 2) {
    return req.method != "GET" ? linodeError(405, "Method Not Allowed")
                               : domains(filter, page, pageSize);
  }
  long long domainId = 0;
  Domain* domain = parsePositive(parts[2], domainId) ? findDomain(domainId) : nullptr;
  if (domain == nullptr || parts.size() < 4 || parts[3] != "records" || parts.size() > 5) {
    return linodeError(404, "Not found");
  }
  if (parts.size() == 4) {
    if (req.method == "GET") {
      return listRecords(*domain, filter, page, pageSize);
    }
    return req.method != "POST" ? linodeError(405, "Method Not Allowed")
                                : createRecord(*domain, nextId_, req);
  }
  long long recordId = 0;
  if (parsePositive(parts[4], recordId)) {
    for (auto& r : domain->records) {
      if (r.id == recordId) {
        return recordRoute(r, req);
      }
    }
  }
  return linodeError(404, "Not found");
}

// GET /v4/domains: the domains that match the filter (only "domain" is filterable here).
FakeResponse FakeLinode::domains(const Filter& filter, long long page, long long pageSize) const {
  std::vector<const Domain*> matched;
  for (const auto& d : domains_) {
    bool ok = true;
    for (const auto& [k, v] : filter) {
      ok = ok && k == "domain" && d.domain == v;
    }
    if (ok) {
      matched.push_back(&d);
    }
  }
  return pageOf(matched.size(), page, pageSize, [&](Writer& w, size_t i) {
    const Domain& d = *matched[i];
    w.StartObject();
    w.Key("id");
    w.Int64(d.id);
    w.Key("type");
    w.String("master");
    w.Key("domain");
    w.String(d.domain.c_str());
    w.Key("status");
    w.String("active");
    w.Key("soa_email");
    w.String(("admin@" + d.domain).c_str());
    w.Key("ttl_sec");
    w.Int(300);
    w.EndObject();
  });
}

}  // namespace chipmunk::test
