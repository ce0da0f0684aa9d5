// SPDX-License-Identifier: MIT
// A custom-URL provider: any HTTP API that updates a record with one request, described in
// the configuration (method, URL template, headers, body template, and how to read the reply).
// The counterpart of inadyn's `custom {}` and ddns-updater's `custom` provider.
// There is no third-party API to cite: the contract is ours, in docs/PROVIDERS.md#url, with
// worked examples (inadyn's and ddclient's common custom set-ups among them).
// Templates name placeholders as {host} (FQDN), {name} (relative to the domain), {label}
// ({name}, or "@" for the apex), {domain},
// {address}, {family} (ipv4/ipv6), {type} (A/AAAA), {username} and {password}. A value is
// percent-encoded where it lands in the URL, JSON-escaped in a JSON body, percent-encoded in
// a form body, and refused in a header if it holds a line break; the substitution is one
// pass, so a value that itself reads "{password}" stays literal. A brace not followed by a
// known name and "}" is literal text (a JSON body's own braces), but {word} with an unknown
// word is a configuration error, to catch typos.
// The reply is classified by the first of the *_regex patterns that matches (PCRE2 with match
// limits, common/pattern.hpp), in the order auth-failed, not-found, retry-later, unchanged,
// updated; applied to the whole body, or with json_pointer to the value at that pointer of
// the body parsed by json::parse. When none matches, the HTTP status decides: 2xx is updated
// (or, with updated_regex set, an unexpected reply), else the usual mapping (429/5xx retry
// later with Retry-After, 401/403 auth failed, 404 not found).
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cctype>
#include <map>
#include <stdexcept>

#include "common/json.hpp"
#include "common/pattern.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr int kMaxHeaders = 4;

const std::array<const char*, 9> kPlaceholders = {
    "host", "name", "label", "domain", "address", "family", "type", "username", "password"};

enum class Escape { kUrl, kJson, kForm, kText, kHeader };

std::string uppercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text.empty() ? "GET" : text;
}

// Where a template's placeholders are: {word} with word of [a-z_]; calls `literal` for the
// text between them and `placeholder` for each name.
template <typename L, typename P>
void scan(const std::string& text, L literal, P placeholder) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('{', pos);
    if (open == std::string::npos) {
      break;
    }
    size_t end = open + 1;
    while (end < text.size() &&
           (std::islower(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
      ++end;
    }
    if (end == open + 1 || end >= text.size() || text[end] != '}') {
      literal(text.substr(pos, end - pos));  // not a placeholder: literal, scanning on
      pos = end;
      continue;
    }
    literal(text.substr(pos, open - pos));
    placeholder(text.substr(open + 1, end - open - 1));
    pos = end + 1;
  }
  if (pos < text.size()) {
    literal(text.substr(pos));
  }
}

// Throws for an unknown placeholder (a typo would otherwise go out literally).
void checkTemplate(const std::string& where, const std::string& key, const std::string& text) {
  scan(
      text, [](const std::string&) {},
      [&](const std::string& name) {
        for (const char* known : kPlaceholders) {
          if (name == known) {
            return;
          }
        }
        throw std::invalid_argument(
            where + key + ": unknown placeholder {" + name +
            "} (known: {host}, {name}, {label}, {domain}, {address}, {family}, "
            "{type}, {username}, {password})");
      });
}

std::string jsonEscape(const std::string& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  const std::string quoted = buf.GetString();
  return quoted.substr(1, quoted.size() - 2);
}

// Expands `text`; false when a value cannot be placed safely (a line break in a header).
bool expand(const std::string& text, const std::map<std::string, std::string>& values,
            Escape escape, std::string& out) {
  out.clear();
  bool ok = true;
  scan(
      text, [&](const std::string& literal) { out += literal; },
      [&](const std::string& name) {
        const auto it = values.find(name);
        const std::string& v = it == values.end() ? std::string() : it->second;
        switch (escape) {
          case Escape::kUrl:
          case Escape::kForm:
            out += urlEncode(v);
            break;
          case Escape::kJson:
            out += jsonEscape(v);
            break;
          case Escape::kHeader:
            if (v.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
              ok = false;
            }
            out += v;
            break;
          case Escape::kText:
            out += v;
            break;
        }
      });
  return ok;
}

// The value at `pointer` as text: a string as it is, anything else as compact JSON.
std::optional<std::string> pointerText(const std::string& body, const std::string& pointer) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, body, error)) {
    return std::nullopt;
  }
  const rapidjson::Pointer p(pointer.c_str(), pointer.size());
  const rapidjson::Value* v = p.IsValid() ? p.Get(doc) : nullptr;
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->IsString()) {
    return std::string(v->GetString(), v->GetStringLength());
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v->Accept(w);
  return std::string(buf.GetString());
}

struct Rule {
  const char* key;
  UpdateStatus status;
};

// Checked in this order: a failure pattern wins over a success pattern that also matches.
const std::array<Rule, 5> kRules = {{{"auth_failed_regex", UpdateStatus::AuthFailed},
                                     {"not_found_regex", UpdateStatus::NotFound},
                                     {"retry_regex", UpdateStatus::RetryLater},
                                     {"unchanged_regex", UpdateStatus::Unchanged},
                                     {"updated_regex", UpdateStatus::Updated}}};

using Headers = std::vector<std::pair<std::string, std::string>>;
using Patterns = std::vector<std::pair<Rule, std::string>>;

// The checks of the constructor, each throwing std::invalid_argument("[section] key ...").
std::string where(const ProviderContext& context) {
  return "[" + context.section + "] ";
}

// `key`, an http:// or https:// URL template (or empty).
const std::string& urlTemplate(const ProviderContext& context, const std::string& key) {
  const std::string& text = context.get(key);
  if (!text.empty() && text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0) {
    throw std::invalid_argument(where(context) + key + " must be an http:// or https:// URL");
  }
  checkTemplate(where(context), key, text);
  return text;
}

const std::string& bodyTemplate(const ProviderContext& context) {
  checkTemplate(where(context), "body", context.get("body"));
  return context.get("body");
}

// header1..header4, each "Name: value template".
Headers headerTemplates(const ProviderContext& context) {
  Headers headers;
  for (int i = 1; i <= kMaxHeaders; ++i) {
    const std::string key = "header" + std::to_string(i);
    const std::string& text = context.get(key);
    if (text.empty()) {
      continue;
    }
    const auto colon = text.find(':');
    if (colon == 0 || colon == std::string::npos || text.find_first_of(" \t") < colon) {
      throw std::invalid_argument(where(context) + key + " must read \"Name: value\"");
    }
    checkTemplate(where(context), key, text);
    headers.emplace_back(text.substr(0, colon), text.substr(colon + 1));
  }
  return headers;
}

const std::string& jsonPointer(const ProviderContext& context) {
  const std::string& pointer = context.get("json_pointer");
  if (!pointer.empty() && !rapidjson::Pointer(pointer.c_str(), pointer.size()).IsValid()) {
    throw std::invalid_argument(where(context) +
                                "json_pointer is not a JSON pointer (RFC 6901: /a/0/b)");
  }
  return pointer;
}

Patterns patterns(const ProviderContext& context) {
  Patterns out;
  for (const auto& rule : kRules) {
    const std::string& pattern = context.get(rule.key);
    std::string error;
    if (!pattern.empty() && !checkPattern(pattern, error)) {
      throw std::invalid_argument(where(context) + rule.key + ": " + error);
    }
    out.emplace_back(rule, pattern);
  }
  return out;
}

class UrlProvider final : public DnsProvider {
 public:
  explicit UrlProvider(const ProviderContext& context)
      : url_(urlTemplate(context, "url")),
        urlIpv6_(urlTemplate(context, "url_ipv6")),
        method_(uppercase(context.get("method"))),
        body_(bodyTemplate(context)),
        bodyFormat_(lowercase(context.get("body_format"))),
        username_(context.get("username")),
        password_(context.get("password")),
        basicAuth_(context.getBool("basic_auth")),
        headers_(headerTemplates(context)),
        pointer_(jsonPointer(context)),
        patterns_(patterns(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::map<std::string, std::string> values = {
        {"host", record.fqdn()},
        {"name", record.host},
        {"label", record.host.empty() ? "@" : record.host},
        {"domain", record.domain},
        {"address", ip.toString()},
        {"family", ip.isV4() ? "ipv4" : "ipv6"},
        {"type", toString(record.type)},
        {"username", username_},
        {"password", password_}};
    HttpRequest req;
    req.method = method_;
    expand(ip.isV6() && !urlIpv6_.empty() ? urlIpv6_ : url_, values, Escape::kUrl, req.url);
    if (!addHeaders(values, req)) {
      return outcome(UpdateStatus::Failed, "request: a header value would hold a line break", true);
    }
    if (basicAuth_) {
      req.basicAuth = std::make_pair(username_, password_);
    }
    const HttpResponse resp = http_.perform(req);
    return classify(resp);
  }

 private:
  // The headers and the body, expanded; false when a header value would hold a line break.
  bool addHeaders(const std::map<std::string, std::string>& values, HttpRequest& req) const {
    bool contentType = false;
    for (const auto& [name, value] : headers_) {
      std::string v;
      if (!expand(value, values, Escape::kHeader, v)) {
        return false;
      }
      const auto first = v.find_first_not_of(" \t");
      req.headers.emplace_back(name, first == std::string::npos ? "" : v.substr(first));
      contentType = contentType || lowercase(name) == "content-type";
    }
    if (!body_.empty()) {
      const Escape escape = bodyFormat_ == "json"   ? Escape::kJson
                            : bodyFormat_ == "form" ? Escape::kForm
                                                    : Escape::kText;
      expand(body_, values, escape, req.body);
      if (!contentType) {
        req.headers.emplace_back("Content-Type", bodyFormat_ == "json" ? "application/json"
                                                 : bodyFormat_ == "form"
                                                     ? "application/x-www-form-urlencoded"
                                                     : "text/plain; charset=utf-8");
      }
    }
    return true;
  }

  UpdateResult classify(const HttpResponse& resp) const {
    if (!resp.transportOk()) {
      return classifyHttpFailure(resp, "request");
    }
    const std::string status = "HTTP " + std::to_string(resp.status);
    std::optional<std::string> subject = resp.body;
    if (!pointer_.empty()) {
      subject = pointerText(resp.body, pointer_);
    }
    bool anyUpdated = false;
    for (const auto& [rule, pattern] : patterns_) {
      if (pattern.empty()) {
        continue;
      }
      anyUpdated = anyUpdated || rule.status == UpdateStatus::Updated;
      if (!subject) {
        continue;
      }
      std::string error;
      if (!firstMatch(*subject, pattern, error)) {
        if (!error.empty()) {
          return outcome(UpdateStatus::Failed, std::string("reply: ") + rule.key + ": " + error);
        }
        continue;
      }
      UpdateResult r =
          outcome(rule.status, "reply: " + status + ", " + rule.key + " matched",
                  rule.status == UpdateStatus::AuthFailed || rule.status == UpdateStatus::NotFound);
      if (rule.status == UpdateStatus::RetryLater) {
        r.retryAfter = resp.retryAfter();
      }
      return r;
    }
    if (resp.status >= 200 && resp.status < 300) {
      if (anyUpdated) {
        return outcome(
            UpdateStatus::Failed,
            "reply: " + status + ", no pattern matched" +
                (!pointer_.empty() && !subject ? " (no JSON value at json_pointer)" : ""));
      }
      return outcome(UpdateStatus::Updated, "reply: " + status);
    }
    return classifyHttpFailure(resp, "reply");
  }

  std::string url_;
  std::string urlIpv6_;
  std::string method_;
  std::string body_;
  std::string bodyFormat_;
  std::string username_;
  std::string password_;
  bool basicAuth_ = false;
  Headers headers_;
  std::string pointer_;
  Patterns patterns_;
  HttpClient http_;
};

}  // namespace

ProviderInfo urlProvider() {
  using T = config::SettingType;
  ProviderInfo info = providerOf<UrlProvider>(
      "url", "Any HTTP API that updates with one request (custom URL, like inadyn's custom)",
      "docs/PROVIDERS.md#url");  // our own contract, no third-party API
  const std::string placeholders =
      " Placeholders: {host} {name} {label} {domain} {address} {family} {type} {username} "
      "{password}.";
  info.settings = {
      config::Setting("url", T::kString)
          .required()
          .help("URL template (http:// or https://); placeholders are percent-encoded." +
                placeholders),
      config::Setting("url_ipv6", T::kString).help("URL template for AAAA records; empty: url."),
      config::Setting("method", T::kChoice)
          .choices({"get", "post", "put", "patch"})
          .byDefault("get")
          .help("HTTP method: get, post, put or patch."),
      config::Setting("header1", T::kString).help("A request header, \"Name: value template\"."),
      config::Setting("header2", T::kString).help("Another request header."),
      config::Setting("header3", T::kString).help("Another request header."),
      config::Setting("header4", T::kString).help("Another request header."),
      config::Setting("body", T::kString).help("Request body template; empty: none."),
      config::Setting("body_format", T::kChoice)
          .choices({"json", "form", "text"})
          .byDefault("json")
          .help(
              "How placeholders are escaped in the body (and its Content-Type unless a header sets "
              "one): json (JSON string escapes), form (percent-encoded) or text (as they are)."),
      config::Setting("username", T::kString).help("Value of {username}."),
      config::Setting("password", T::kSecret).help("Value of {password} (a password or a token)."),
      config::Setting("basic_auth", T::kBool)
          .byDefault("no")
          .help("Send username and password as HTTP Basic auth."),
      config::Setting("json_pointer", T::kString)
          .help("Apply the patterns to the value at this JSON pointer (/status) of the reply, not "
                "the "
                "whole body."),
      config::Setting("updated_regex", T::kString)
          .help("Pattern of an accepted update; when set, a 2xx reply that matches no pattern "
                "fails."),
      config::Setting("unchanged_regex", T::kString)
          .help("Pattern of \"already had that address\"."),
      config::Setting("auth_failed_regex", T::kString)
          .help("Pattern of refused credentials (stops the record until reload)."),
      config::Setting("not_found_regex", T::kString)
          .help("Pattern of an unknown host or zone (stops the record until reload)."),
      config::Setting("retry_regex", T::kString).help("Pattern of \"try again later\"."),
  };
  // No `endpoint`: the user's url template; url_fuzz covers it.
  info.httpApi = false;
  return info;
}

}  // namespace chipmunk::providers
