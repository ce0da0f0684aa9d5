// SPDX-License-Identifier: MIT
// The requests follow each service's documentation:
//   ntfy:    https://docs.ntfy.sh/publish/ (POST the message to the topic URL; Title,
//            Priority 1-5 and Tags headers; Authorization: Bearer <token>)
//   Gotify:  https://gotify.net/api-docs, https://gotify.net/docs/pushmsg (POST /message,
//            X-Gotify-Key, JSON {"title","message","priority"})
//   pings:   https://healthchecks.io/docs/http_api/ (<url>/start, <url>, <url>/fail; a POST
//            body is kept as the ping's log)
#include "updater/notify.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "common/logging.hpp"
#include "common/time_text.hpp"
#include "common/utf8.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxErrorBytes = 200;
constexpr size_t kMaxPingBody = 2000;

std::shared_ptr<spdlog::logger> notifyLog() {
  return logging::get("updater");
}

// `text` as the inside of a JSON string: malformed or unsafe characters replaced first.
std::string jsonEscaped(const std::string& text) {
  const std::string safe = sanitizeText(text);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(safe.c_str(), static_cast<rapidjson::SizeType>(safe.size()));
  const std::string quoted(buffer.GetString(), buffer.GetSize());
  return quoted.substr(1, quoted.size() - 2);
}

// A header value from text anyone may have written: printable ASCII only.
std::string headerSafe(const std::string& text) {
  std::string out;
  for (const char c : text.substr(0, 200)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

std::string placeholder(const AlertEvent& e, const std::string& word) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"event", &e.event},       {"record", &e.record}, {"host", &e.host},    {"type", &e.type},
      {"provider", &e.provider}, {"old_ip", &e.oldIp},  {"new_ip", &e.newIp}, {"error", &e.error}};
  for (const auto& [name, value] : fields) {
    if (word == name) {
      return *value;
    }
  }
  return word == "time" ? rfc3339(e.time) : alertMessage(e);  // else "message"
}

std::string defaultBody(const AlertEvent& e) {
  std::string body = "{";
  for (const auto& word : config::updater_steps::templatePlaceholders()) {
    body += (body.size() > 1 ? ",\"" : "\"") + word + "\":\"" + jsonEscaped(placeholder(e, word)) +
            "\"";
  }
  return body + "}";
}

std::string withoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

// ntfy's priority (1-5) and tags (emoji short codes), Gotify's priority (0-10).
struct Weight {
  int ntfy;
  const char* tags;
  int gotify;
};

Weight weightOf(const std::string& event) {
  static const std::pair<const char*, Weight> weights[] = {{"stop", {5, "rotating_light", 9}},
                                                           {"failure", {4, "warning", 8}},
                                                           {"recover", {3, "white_check_mark", 5}}};
  for (const auto& [name, weight] : weights) {
    if (event == name) {
      return weight;
    }
  }
  return {2, "globe_with_meridians", 3};  // change
}

std::string title(const AlertEvent& e) {
  return "chipmunk-updater: " + e.event + " " + e.record;
}

std::string gotifyBody(const AlertEvent& e) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const std::string t = sanitizeText(title(e));
  const std::string m = sanitizeText(alertMessage(e));
  w.StartObject();
  w.Key("title");
  w.String(t.c_str(), static_cast<rapidjson::SizeType>(t.size()));
  w.Key("message");
  w.String(m.c_str(), static_cast<rapidjson::SizeType>(m.size()));
  w.Key("priority");
  w.Int(weightOf(e.event).gotify);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The secret parts of a notifier, kept out of log lines.
std::vector<std::string> secretsOf(const config::NotifierConfig& n) {
  std::vector<std::string> out = {n.url, n.token};
  for (const auto& [name, value] : n.headers) {
    out.push_back(value);
  }
  return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (size_t at = s.size() < 4 ? std::string::npos : text.find(s); at != std::string::npos;
         at = text.find(s, at)) {
      text.replace(at, s.size(), "***");
    }
  }
  return text;
}

}  // namespace

std::map<std::string, std::string> hookEnvironment(const AlertEvent& e) {
  return {{"CHIPMUNK_EVENT", e.event},       {"CHIPMUNK_RECORD", e.record},
          {"CHIPMUNK_HOST", e.host},         {"CHIPMUNK_TYPE", e.type},
          {"CHIPMUNK_PROVIDER", e.provider}, {"CHIPMUNK_OLD_IP", e.oldIp},
          {"CHIPMUNK_NEW_IP", e.newIp},      {"CHIPMUNK_ERROR", e.error}};
}

std::string alertMessage(const AlertEvent& e) {
  const std::string who = e.record + " (" + e.host + " " + e.type + ")";
  const std::string error = escapeText(e.error, kMaxErrorBytes);
  if (e.event == "failure") {
    return who + " failed repeatedly: " + error;
  }
  if (e.event == "stop") {
    return who + " stopped until a reload: " + error;
  }
  if (e.event == "recover") {
    return who + " recovered: " + (e.newIp.empty() ? "current" : "now " + e.newIp);
  }
  return who + " changed: " + (e.oldIp.empty() ? "-" : e.oldIp) + " -> " + e.newIp;
}

std::string renderTemplate(const std::string& text, const AlertEvent& e) {
  const auto& words = config::updater_steps::templatePlaceholders();
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find('{', pos);
    const auto close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      break;
    }
    const std::string word = text.substr(open + 1, close - open - 1);
    out += text.substr(pos, open - pos);
    if (std::find(words.begin(), words.end(), word) != words.end()) {
      out += jsonEscaped(placeholder(e, word));
      pos = close + 1;
    } else {
      out += '{';
      pos = open + 1;
    }
  }
  return out + text.substr(std::min(pos, text.size()));
}

providers::HttpRequest notifierRequest(const config::NotifierConfig& n, const AlertEvent& e) {
  providers::HttpRequest r;
  r.method = "POST";
  r.url = n.url;
  const Weight weight = weightOf(e.event);
  switch (n.kind) {
    case config::NotifierKind::kWebhook:
      r.headers.emplace_back("Content-Type", "application/json");
      r.headers.insert(r.headers.end(), n.headers.begin(), n.headers.end());
      r.body = n.bodyTemplate.empty() ? defaultBody(e) : renderTemplate(n.bodyTemplate, e);
      break;
    case config::NotifierKind::kNtfy:
      r.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                   {"Title", headerSafe(title(e))},
                   {"Priority", std::to_string(weight.ntfy)},
                   {"Tags", weight.tags}};
      if (!n.token.empty()) {
        r.headers.emplace_back("Authorization", "Bearer " + n.token);
      }
      r.body = sanitizeText(alertMessage(e));
      break;
    case config::NotifierKind::kGotify:
      r.url = withoutTrailingSlash(n.url) + "/message";
      r.headers = {{"Content-Type", "application/json"}, {"X-Gotify-Key", n.token}};
      r.body = gotifyBody(e);
      break;
  }
  return r;
}

providers::HttpRequest pingRequest(const std::string& url, Ping ping, const std::string& body) {
  providers::HttpRequest r;
  r.method = "POST";
  r.url = withoutTrailingSlash(url) + (ping == Ping::kStart  ? "/start"
                                       : ping == Ping::kFail ? "/fail"
                                                             : "");
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = sanitizeText(body.substr(0, kMaxPingBody));
  return r;
}

Notifications::Notifications(std::vector<config::NotifierConfig> notifiers,
                             std::string healthchecksUrl, providers::HttpOptions http,
                             size_t capacity)
    : notifiers_(std::move(notifiers)),
      healthchecksUrl_(std::move(healthchecksUrl)),
      http_(std::move(http)),
      capacity_(std::max<size_t>(capacity, 1)) {
  http_.cancel = cancel_;
  http_.maxBodySize = 64 * 1024;  // nobody reads the reply
}

Notifications::~Notifications() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (!queue_.empty() || busy_) {
      notifyLog()->warn("notifications abandoned at stop queued={} in_flight={}", queue_.size(),
                        busy_ ? 1 : 0);
    }
  }
  cancel_->store(true);
  wake_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void Notifications::notify(const AlertEvent& e) {
  for (const auto& n : notifiers_) {
    if (n.wants(e.event)) {
      enqueue({"notify:" + n.name + " event=" + e.event, notifierRequest(n, e), secretsOf(n)});
    }
  }
}

void Notifications::ping(Ping ping, const std::string& body) {
  if (healthchecksUrl_.empty()) {
    return;
  }
  const char* kind = ping == Ping::kStart ? "start" : ping == Ping::kFail ? "fail" : "success";
  enqueue({std::string("healthchecks ") + kind,
           pingRequest(healthchecksUrl_, ping, body),
           {healthchecksUrl_}});
}

void Notifications::enqueue(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return;
    }
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      if (dropped_++ == 0) {
        notifyLog()->warn(
            "notification queue full: the oldest are dropped (logged once) capacity={}", capacity_);
      }
    }
    queue_.push_back(std::move(job));
    if (!worker_.joinable()) {
      worker_ = std::thread([this] { work(); });
    }
  }
  wake_.notify_one();
}

void Notifications::work() {
  providers::HttpClient client(http_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      break;
    }
    const Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    deliver(client, job);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) {
      idle_.notify_all();
    }
  }
  busy_ = false;
  idle_.notify_all();
}

void Notifications::deliver(providers::HttpClient& client, const Job& job) {
  const auto response = client.perform(job.request);
  if (response.transportOk() && response.status >= 200 && response.status < 300) {
    notifyLog()->debug("notification sent target=\"{}\" status={}", job.what, response.status);
    return;
  }
  notifyLog()->warn("notification failed target=\"{}\" status={} error=\"{}\"", job.what,
                    response.status, redact(response.error, job.secrets));
}

bool Notifications::drain(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return (queue_.empty() && !busy_) || stopping_; });
}

size_t Notifications::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace chipmunk::updater
