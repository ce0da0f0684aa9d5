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

namespace chipmunk::test {
namespace {

FakeResponse error(int status, const std::string& reason, const std::string& field = {}) {
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

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 1;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    parts.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return parts;
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

FakeResponse FakeLinode::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  FakeResponse resp = [&]() -> FakeResponse {
    if (failCount_ > 0) {
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
          error(failStatus_, failStatus_ == 429 ? "Too Many Requests" : "Please try again later");
      if (failRetryAfter_) {
        r.headers.emplace_back("Retry-After", std::to_string(*failRetryAfter_));
      }
      return r;
    }
    if (req.header("authorization") != "Bearer " + token_) {
      return error(401, "Invalid Token");
    }
    const auto parts = splitPath(req.path);
    if (parts.size() < 2 || parts[0] != "v4" || parts[1] != "domains") {
      return error(404, "Not found");
    }
    // X-Filter: a JSON object of field: value equalities.
    std::map<std::string, std::string> filter;
    const std::string filterText = req.header("x-filter");
    if (!filterText.empty()) {
      rapidjson::Document f;
      f.Parse(filterText.c_str());
      if (f.HasParseError() || !f.IsObject()) {
        return error(400, "Cannot parse X-Filter", "X-Filter");
      }
      for (const auto& m : f.GetObject()) {
        if (!m.value.IsString()) {
          return error(400, "Filter values must be strings in this fake", "X-Filter");
        }
        filter[m.name.GetString()] = m.value.GetString();
      }
    }
    long long page = 1;
    long long pageSize = 100;
    if (!req.param("page").empty() && !parsePositive(req.param("page"), page)) {
      return error(400, "Must be a positive integer", "page");
    }
    if (!req.param("page_size").empty() &&
        (!parsePositive(req.param("page_size"), pageSize) || pageSize < 25 || pageSize > 500)) {
      return error(400, "Must be 25-500", "page_size");
    }
    pageSize = std::min<long long>(pageSize, maxPageSize_);

    // Writes one page of `items` (already filtered) as the v4 envelope.
    auto pageOf = [&](size_t total, auto writeItem) {
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
    };
    auto writeRecord = [](Writer& w, const DomainRecord& r) {
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
    };

    if (parts.size() == 2) {
      if (req.method != "GET") {
        return error(405, "Method Not Allowed");
      }
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
      return pageOf(matched.size(), [&](Writer& w, size_t i) {
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
    long long domainId = 0;
    Domain* domain = parsePositive(parts[2], domainId) ? findDomain(domainId) : nullptr;
    if (domain == nullptr) {
      return error(404, "Not found");
    }
    if (parts.size() < 4 || parts[3] != "records" || parts.size() > 5) {
      return error(404, "Not found");
    }
    if (parts.size() == 4) {
      if (req.method == "GET") {
        std::vector<const DomainRecord*> matched;
        for (const auto& r : domain->records) {
          bool ok = true;
          for (const auto& [k, v] : filter) {
            ok = ok && ((k == "name" && r.name == v) || (k == "type" && r.type == v) ||
                        (k == "target" && r.target == v));
          }
          if (ok) {
            matched.push_back(&r);
          }
        }
        return pageOf(matched.size(), [&](Writer& w, size_t i) { writeRecord(w, *matched[i]); });
      }
      if (req.method != "POST") {
        return error(405, "Method Not Allowed");
      }
      rapidjson::Document body;
      body.Parse(req.body.c_str());
      if (body.HasParseError() || !body.IsObject() || !body.HasMember("type") ||
          !body["type"].IsString()) {
        return error(400, "type is required", "type");
      }
      DomainRecord r;
      r.id = ++nextId_;
      r.type = body["type"].GetString();
      r.name = body.HasMember("name") && body["name"].IsString() ? body["name"].GetString() : "";
      r.target =
          body.HasMember("target") && body["target"].IsString() ? body["target"].GetString() : "";
      r.ttl =
          body.HasMember("ttl_sec") && body["ttl_sec"].IsInt64() ? body["ttl_sec"].GetInt64() : 0;
      const auto ip = IpAddress::parse(r.target);
      if ((r.type == "A" && !(ip && ip->isV4())) || (r.type == "AAAA" && !(ip && ip->isV6()))) {
        return error(400, "Invalid target for this record type", "target");
      }
      domain->records.push_back(r);
      rapidjson::StringBuffer buf;
      Writer w(buf);
      writeRecord(w, r);
      FakeResponse out;
      out.body = buf.GetString();
      return out;
    }
    long long recordId = 0;
    DomainRecord* record = nullptr;
    if (parsePositive(parts[4], recordId)) {
      for (auto& r : domain->records) {
        if (r.id == recordId) {
          record = &r;
        }
      }
    }
    if (record == nullptr) {
      return error(404, "Not found");
    }
    if (req.method == "PUT") {
      rapidjson::Document body;
      body.Parse(req.body.c_str());
      if (body.HasParseError() || !body.IsObject()) {
        return error(400, "Request body must be JSON");
      }
      if (body.HasMember("target")) {
        if (!body["target"].IsString()) {
          return error(400, "target must be a string", "target");
        }
        const auto ip = IpAddress::parse(body["target"].GetString());
        if ((record->type == "A" && !(ip && ip->isV4())) ||
            (record->type == "AAAA" && !(ip && ip->isV6()))) {
          return error(400, "Invalid target for this record type", "target");
        }
        record->target = body["target"].GetString();
      }
    } else if (req.method != "GET") {
      return error(405, "Method Not Allowed");
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    writeRecord(w, *record);
    FakeResponse out;
    out.body = buf.GetString();
    return out;
  }();
  resp.delay = delay_;
  return resp;
}

}  // namespace chipmunk::test
