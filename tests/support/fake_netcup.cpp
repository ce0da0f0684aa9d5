// SPDX-License-Identifier: MIT
// A fake netcup CCP API (DNS actions); see fake_netcup.hpp and
// https://ccp.netcup.net/run/webservice/servers/endpoint.php
#include "tests/support/fake_netcup.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

constexpr const char* kPath = "/run/webservice/servers/endpoint.php";
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string netcupText(const rapidjson::Value& v, const char* key) {
  const auto it = v.IsObject() ? v.FindMember(key) : v.MemberEnd();
  return v.IsObject() && it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

void pair(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str());
}

// The CCP's answer: `data` is the responsedata's JSON text ("" for an empty string).
FakeResponse netcupAnswer(const std::string& action, bool ok, int code,
                          const std::string& shortMessage, const std::string& longMessage,
                          const std::string& data = "") {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  pair(w, "serverrequestid", "fake-" + std::to_string(code));
  pair(w, "clientrequestid", "");
  pair(w, "action", action);
  pair(w, "status", ok ? "success" : "error");
  w.Key("statuscode");
  w.Int(code);
  pair(w, "shortmessage", shortMessage);
  pair(w, "longmessage", longMessage);
  w.Key("responsedata");
  if (data.empty()) {
    w.String("");
  } else {
    w.RawValue(data.c_str(), data.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return jsonReply(200, buf.GetString());
}

FakeResponse validation(const std::string& action, const std::string& why) {
  return netcupAnswer(action, false, 4013, "Validation Error.", why);
}

std::string records(const std::vector<FakeNetcup::DnsRecord>& list) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("dnsrecords");
  w.StartArray();
  for (const auto& r : list) {
    w.StartObject();
    pair(w, "id", r.id);
    pair(w, "hostname", r.hostname);
    pair(w, "type", r.type);
    pair(w, "priority", r.priority);
    pair(w, "destination", r.destination);
    w.Key("deleterecord");
    w.Bool(false);
    pair(w, "state", r.state);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace

FakeNetcup::FakeNetcup(std::string customer, std::string apiKey, std::string apiPassword)
    : customer_(std::move(customer)),
      apiKey_(std::move(apiKey)),
      apiPassword_(std::move(apiPassword)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeNetcup::~FakeNetcup() {
  server_->stop();
}

std::string FakeNetcup::endpoint() const {
  return server_->url() + kPath + "?JSON";
}

void FakeNetcup::addDomain(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[domain];
}

std::string FakeNetcup::addRecord(const std::string& domain, DnsRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  record.id = std::to_string(nextId_++);
  domains_[domain].push_back(record);
  return record.id;
}

std::optional<FakeNetcup::DnsRecord> FakeNetcup::record(const std::string& domain,
                                                        const std::string& hostname,
                                                        const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  for (const auto& r : d == domains_.end() ? std::vector<DnsRecord>{} : d->second) {
    if (r.hostname == hostname && r.type == type) {
      return r;
    }
  }
  return std::nullopt;
}

size_t FakeNetcup::recordCount(const std::string& domain) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto d = domains_.find(domain);
  return d == domains_.end() ? 0 : d->second.size();
}

size_t FakeNetcup::openSessions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.size();
}

void FakeNetcup::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

void FakeNetcup::rateLimitNext() {
  std::lock_guard<std::mutex> lock(mutex_);
  rateLimited_ = true;
}

std::vector<FakeRequest> FakeNetcup::requests() const {
  return server_->requests();
}

FakeResponse FakeNetcup::handle(const FakeRequest& req) {
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (req.method != "POST" || req.path != kPath || req.query != "JSON") {
    return jsonReply(404, "<html>Not Found</html>");
  }
  rapidjson::Document body;
  std::string error;
  if (!json::parse(body, req.body, error) || !body.IsObject() || !body.HasMember("param") ||
      !body["param"].IsObject()) {
    return validation(netcupText(body, "action"), "Invalid JSON request.");
  }
  const std::string action = netcupText(body, "action");
  if (rateLimited_) {
    rateLimited_ = false;
    return validation(action,
                      "More than 180 requests per minute. Please wait and retry later. Please "
                      "contact our customer service to find out if the limitation of requests "
                      "can be increased.");
  }
  return act(action, body["param"]);
}

FakeResponse FakeNetcup::act(const std::string& action, const rapidjson::Value& param) {
  if (netcupText(param, "customernumber") != customer_ || netcupText(param, "apikey") != apiKey_) {
    return validation(action, "The api key or customer number is invalid.");
  }
  if (action == "login") {
    if (netcupText(param, "apipassword") != apiPassword_) {
      return validation(action, "The api password is invalid.");
    }
    const std::string session = "session-" + std::to_string(nextId_++);
    sessions_.insert(session);
    return netcupAnswer(action, true, 2000, "Login successful",
                        "Session has been created successful.",
                        R"({"apisessionid":")" + session + "\"}");
  }
  const std::string session = netcupText(param, "apisessionid");
  if (sessions_.count(session) == 0) {
    return netcupAnswer(action, false, 4001, "Api session id in invalid format",
                        "The session id is not in a valid format.");
  }
  if (action == "logout") {
    sessions_.erase(session);
    return netcupAnswer(action, true, 2000, "Logout successful", "Session has been terminated.");
  }
  const std::string domain = netcupText(param, "domainname");
  if (domains_.count(domain) == 0) {
    return validation(action, "Domain not found.");
  }
  if (action == "infoDnsRecords") {
    return info(domain);
  }
  if (action == "updateDnsRecords") {
    return updateRecords(domain, param);
  }
  return netcupAnswer(action, false, 4013, "Validation Error.", "Unknown action.");
}

FakeResponse FakeNetcup::info(const std::string& domain) const {
  const auto& list = domains_.at(domain);
  if (list.empty()) {
    return netcupAnswer("infoDnsRecords", false, 5029, "Can not get DNS records for zone.",
                        "Error in DNS records. Domain has no records.");
  }
  return netcupAnswer("infoDnsRecords", true, 2000, "DNS records found",
                      "DNS Records for this zone were found.", records(list));
}

FakeResponse FakeNetcup::updateRecords(const std::string& domain, const rapidjson::Value& param) {
  const auto set = param.FindMember("dnsrecordset");
  if (set == param.MemberEnd() || !set->value.IsObject() || !set->value.HasMember("dnsrecords") ||
      !set->value["dnsrecords"].IsArray()) {
    return validation("updateDnsRecords", "Value in field dnsrecordset is missing.");
  }
  auto& list = domains_[domain];
  for (const auto& item : set->value["dnsrecords"].GetArray()) {
    DnsRecord next{netcupText(item, "id"),       netcupText(item, "hostname"),
                   netcupText(item, "type"),     netcupText(item, "destination"),
                   netcupText(item, "priority"), "yes"};
    if (next.hostname.empty() || next.type.empty() || next.destination.empty()) {
      return validation("updateDnsRecords", "Value in field dnsrecord is missing.");
    }
    next.priority = next.priority.empty() ? "0" : next.priority;
    if (next.id.empty()) {
      next.id = std::to_string(nextId_++);
      list.push_back(next);
      continue;
    }
    auto it =
        std::find_if(list.begin(), list.end(), [&](const auto& r) { return r.id == next.id; });
    if (it == list.end()) {
      return netcupAnswer("updateDnsRecords", false, 5028, "Record not found",
                          "DNS record not found.");
    }
    *it = next;
  }
  return netcupAnswer("updateDnsRecords", true, 2000, "DNS records successful updated",
                      "The given DNS records for this zone were updated.", records(list));
}

namespace {

// `chipmunk-fake netcup` (tests/support/runnable_fake.hpp).
const RunnableFake kNetcupRunnable{
    "netcup", [] {
      auto f = std::make_shared<FakeNetcup>();
      f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) {
        f->addRecord("example.com", {"", "home", type, ip});
      });
      return RunningFake{f, fakeSection("netcup",
                                        "customer_number = 12345\napi_key = nc-key\n"
                                        "api_password = nc-password\n",
                                        f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
