// SPDX-License-Identifier: MIT
// chipmunk-updater's alerts: [notify:NAME] built-in notifiers (webhook, ntfy, Gotify) and
// [Healthchecks] (a healthchecks.io-style ping URL). Delivery is updater/notify.cpp's.
#include <algorithm>
#include <cctype>
#include <set>

#include "common/strings.hpp"
#include "config/setting_table.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config {

bool NotifierConfig::wants(const std::string& event) const {
  return std::find(events.begin(), events.end(), event) != events.end();
}

namespace updater_steps {
namespace {

constexpr const char* kNotifyPrefix = "notify:";

// A section as written, before its checks.
struct NotifySection {
  NotifierKind kind = NotifierKind::kWebhook;
  std::string url;
  std::vector<std::string> events;
  std::string bodyTemplate;
  std::string header1;
  std::string header2;
  std::string header3;
  std::string token;
};

SettingTable<NotifySection> makeNotifySettings() {
  using N = NotifySection;
  SettingTable<N> t;
  t.setting("", "type")
      .choice(&N::kind, {{"webhook", NotifierKind::kWebhook},
                         {"ntfy", NotifierKind::kNtfy},
                         {"gotify", NotifierKind::kGotify}})
      .required()
      .help(
          "webhook (a JSON POST), ntfy (POST to a topic URL) or gotify (POST "
          "{url}/message).");
  t.setting("", "url").secret(&N::url).required().help(
      "webhook: the URL to POST to; ntfy: the topic URL (https://ntfy.sh/TOPIC); gotify: "
      "the server's base URL. Kept out of logs (a query may hold a token).");
  t.setting("", "events")
      .list(&N::events)
      .byDefault("failure, stop, recover")
      .help("Which events are sent: failure, stop, recover, change.");
  t.setting("", "template")
      .text(&N::bodyTemplate)
      .help(
          "webhook: the JSON body, with {event} {record} {host} {type} {provider} {old_ip} "
          "{new_ip} {error} {time} {message} replaced by JSON-escaped values (write them "
          "inside quotes); empty: a JSON object of all of them.");
  t.setting("", "header")
      .secret(&N::header1)
      .help("webhook: an extra request header, \"Name: value\" (Authorization: Bearer ...).");
  t.setting("", "header_2").secret(&N::header2).help("webhook: a second extra header.");
  t.setting("", "header_3").secret(&N::header3).help("webhook: a third extra header.");
  t.setting("", "token")
      .secret(&N::token)
      .help(
          "ntfy: an access token (Authorization: Bearer); gotify: the application token "
          "(X-Gotify-Key), required.");
  return t;
}

const SettingTable<NotifySection>& notifySettings() {
  static const SettingTable<NotifySection> table = makeNotifySettings();
  return table;
}

SettingTable<UpdaterConfig> makeHealthchecksSettings() {
  SettingTable<UpdaterConfig> t;
  t.setting("Healthchecks", "url")
      .secret(&UpdaterConfig::healthchecksUrl)
      .help(
          "A healthchecks.io-style ping URL (https://hc-ping.com/UUID): URL/start when a "
          "check begins, URL when it succeeded, URL/fail (with what failed) when not. A "
          "secret: the URL is the check's credential. Empty: no pings.");
  return t;
}

const SettingTable<UpdaterConfig>& healthchecksSettings() {
  static const SettingTable<UpdaterConfig> table = makeHealthchecksSettings();
  return table;
}

bool isHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// "Name: value" with an RFC 9110 token as name and printable ASCII as value.
bool parseHeader(const std::string& text, std::pair<std::string, std::string>& out) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return false;
  }
  const std::string name(trimAscii(text.substr(0, colon)));
  const std::string value(trimAscii(text.substr(colon + 1)));
  if (name.empty() || !std::all_of(name.begin(), name.end(), isTokenChar) ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
    return false;
  }
  out = {name, value};
  return true;
}

// Every {word} of a template is a known placeholder; the first unknown one, if any.
std::string unknownPlaceholder(const std::string& text) {
  const auto& known = templatePlaceholders();
  for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    const auto close = text.find('}', open);
    if (close == std::string::npos) {
      break;
    }
    const std::string word = text.substr(open + 1, close - open - 1);
    const bool isWord = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
      return std::islower(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    if (isWord && std::find(known.begin(), known.end(), word) == known.end()) {
      return word;
    }
  }
  return {};
}

// One [notify:NAME] section's notifier and its checks.
NotifierConfig readNotifier(const IniDocument& doc, const IniSection& section,
                            const Settings& settings, std::vector<std::string>& errors) {
  NotifySection n;
  notifySettings().apply(settings, n, section.name);
  NotifierConfig out;
  out.name = section.name.substr(7);
  out.kind = n.kind;
  out.url = n.url;
  out.bodyTemplate = n.bodyTemplate;
  out.token = n.token;
  out.where = doc.where(section);
  const auto at = [&](const char* key) {
    return settings.where(section.name, key) + ": [" + section.name + "] ";
  };
  if (!n.url.empty() && !isHttpUrl(n.url)) {
    errors.push_back(at("url") + "url must start with http:// or https://");
  }
  for (const auto& e : n.events) {
    const std::string event = lowercase(e);
    if (event != "failure" && event != "stop" && event != "recover" && event != "change") {
      errors.push_back(at("events") + "events: \"" + e.substr(0, 40) +
                       "\" is not one of failure, stop, recover, change");
    }
    out.events.push_back(event);
  }
  if (const std::string bad = unknownPlaceholder(n.bodyTemplate); !bad.empty()) {
    errors.push_back(at("template") + "template: unknown placeholder {" + bad.substr(0, 40) + "}");
  }
  const std::pair<const char*, const std::string*> headers[] = {
      {"header", &n.header1}, {"header_2", &n.header2}, {"header_3", &n.header3}};
  for (const auto& [key, text] : headers) {
    std::pair<std::string, std::string> header;
    if (text->empty()) {
      continue;
    }
    if (!parseHeader(*text, header)) {
      errors.push_back(at(key) + key + ": expected \"Name: value\" (printable ASCII)");
    } else {
      out.headers.push_back(header);
    }
  }
  if (n.kind == NotifierKind::kGotify && n.token.empty()) {
    errors.push_back(out.where + ": [" + section.name + "] type = gotify needs token");
  }
  return out;
}

}  // namespace

const std::vector<std::string>& templatePlaceholders() {
  static const std::vector<std::string> words = {"event",  "record", "host",  "type", "provider",
                                                 "old_ip", "new_ip", "error", "time", "message"};
  return words;
}

bool isNotifySection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kNotifyPrefix);
}

void addNotifySection(Schema& schema, const std::string& section) {
  notifySettings().declare(schema, section);
}

void declareNotifySettings(Schema& schema) {
  healthchecksSettings().declare(schema);
}

void loadNotifiers(const IniDocument& doc, const Settings& settings, UpdaterConfig& config,
                   std::vector<std::string>& errors) {
  healthchecksSettings().apply(settings, config);
  if (!config.healthchecksUrl.empty() && !isHttpUrl(config.healthchecksUrl)) {
    errors.push_back(settings.where("Healthchecks", "url") +
                     ": [Healthchecks] url must start with http:// or https://");
  }
  std::set<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (isNotifySection(s) && seen.insert(s).second) {
      config.notifiers.push_back(readNotifier(doc, section, settings, errors));
    }
  }
}

}  // namespace updater_steps
}  // namespace chipmunk::config
