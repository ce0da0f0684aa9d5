// SPDX-License-Identifier: MIT
#include "providers/provider.hpp"

#include <algorithm>
#include <climits>
#include <sstream>
#include <stdexcept>

#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"

namespace chipmunk::providers {

const char* toString(UpdateStatus status) {
  switch (status) {
    case UpdateStatus::Updated:
      return "updated";
    case UpdateStatus::Unchanged:
      return "unchanged";
    case UpdateStatus::RetryLater:
      return "retry-later";
    case UpdateStatus::AuthFailed:
      return "auth-failed";
    case UpdateStatus::NotFound:
      return "not-found";
    case UpdateStatus::Failed:
      return "failed";
  }
  return "failed";
}

CurrentRecord currentFrom(const UpdateResult& found, const std::string& address) {
  CurrentRecord out;
  out.detail = found.detail;
  if (found.ok()) {
    out.status = CurrentRecord::Status::kFound;
    out.addresses.push_back(address);
  } else {
    out.status = found.status == UpdateStatus::NotFound ? CurrentRecord::Status::kMissing
                                                        : CurrentRecord::Status::kFailed;
  }
  return out;
}

UpdateResult outcome(UpdateStatus status, std::string detail, bool stop) {
  UpdateResult r;
  r.status = status;
  r.detail = std::move(detail);
  r.stop = stop;
  return r;
}

const std::string& ProviderContext::get(const std::string& key) const {
  static const std::string kEmpty;
  const auto it = settings.find(lowercase(key));
  return it == settings.end() ? kEmpty : it->second;
}

const std::string& ProviderContext::get(const Record& record, const std::string& key) const {
  const auto it = record.settings.find(lowercase(key));
  return it == record.settings.end() || it->second.empty() ? get(key) : it->second;
}

bool ProviderContext::getBool(const std::string& key) const {
  bool value = false;
  config::parseBool(get(key), value);
  return value;
}

UpdateResult classifyHttpFailure(const HttpResponse& response, const std::string& what) {
  UpdateResult result;
  if (!response.transportOk()) {
    result.status = UpdateStatus::RetryLater;
    result.detail = what + ": " + (response.timedOut ? "timed out: " : "") + response.error;
    return result;
  }
  const int s = response.status;
  result.detail = what + ": HTTP " + std::to_string(s);
  if (s == 429 || s >= 500 || s == 408) {
    result.status = UpdateStatus::RetryLater;
    result.retryAfter = response.retryAfter();
  } else if (s == 401 || s == 403) {
    result.status = UpdateStatus::AuthFailed;
  } else if (s == 404) {
    result.status = UpdateStatus::NotFound;
  } else {
    result.status = UpdateStatus::Failed;
  }
  return result;
}

void ProviderRegistry::add(ProviderInfo info) {
  if (find(info.name) != nullptr) {
    throw std::logic_error("provider registered twice: " + info.name);
  }
  if (info.name.empty() || info.name != lowercase(info.name) ||
      info.name.find(':') != std::string::npos || !info.create) {
    throw std::logic_error("provider registration is incomplete or misnamed: " + info.name);
  }
  for (auto& s : info.recordSettings) {
    if (!s.defaultValue.empty() || s.required) {
      throw std::logic_error("record setting " + s.key + " of " + info.name +
                             " must have neither a default nor required()");
    }
  }
  for (auto& s : info.settings) {
    const bool numeric =
        s.type == config::SettingType::kInteger || s.type == config::SettingType::kSeconds;
    if (numeric && s.min == 0 && s.max == 0) {
      s.max = INT_MAX;  // declared without a range: any value >= 0
    }
  }
  providers_.push_back(std::move(info));
}

std::unique_ptr<DnsProvider> makeProvider(const ProviderInfo& info, ProviderContext context) {
  for (const auto& s : info.settings) {
    const std::string key = lowercase(s.key);
    auto it = context.settings.find(key);
    if (it == context.settings.end() || it->second.empty()) {
      if (s.required) {
        throw std::invalid_argument("[" + context.section + "] " + s.key + " is required");
      }
      context.settings[key] = s.defaultValue;
    }
  }
  for (const auto& record : context.records) {
    if ((record.type == RecordType::A && !info.ipv4) ||
        (record.type == RecordType::AAAA && !info.ipv6)) {
      throw std::invalid_argument("[" + context.section + "] " + info.name + " cannot keep " +
                                  toString(record.type) + " records (record " + record.name + ")");
    }
  }
  return info.create(context);
}

ProviderInfo preset(const ProviderInfo& base, const PresetSpec& spec) {
  const auto declared = [&base](const std::string& key) -> const config::SettingSpec* {
    for (const auto& s : base.settings) {
      if (s.key == key) {
        return &s;
      }
    }
    throw std::logic_error("preset " + base.name + "/" + key + ": no such setting");
  };
  ProviderInfo info;
  info.name = spec.name;
  info.description = spec.description;
  info.documentation = spec.documentation;
  info.ipv4 = spec.ipv4;
  info.ipv6 = spec.ipv6;
  info.presetOf = base.name;
  std::map<std::string, std::string> hidden;  // key -> value
  for (const auto& s : base.settings) {
    hidden[s.key] = s.defaultValue;
  }
  for (const auto& [key, value] : spec.fixed) {
    declared(key);
    hidden[key] = value;
  }
  for (const auto& p : spec.settings) {
    config::SettingSpec s = *declared(p.key);
    if (!p.defaultValue.empty()) {
      s.defaultValue = p.defaultValue;
      s.required = false;
    }
    s.required = s.required || p.required;
    if (!p.help.empty()) {
      s.help = p.help;
    }
    info.settings.push_back(s);
    hidden.erase(p.key);
  }
  info.create = [create = base.create, hidden](const ProviderContext& context) {
    ProviderContext full = context;
    for (const auto& [key, value] : hidden) {
      full.settings[key] = value;
    }
    return create(full);
  };
  return info;
}

namespace {

std::string yesNo(bool b) {
  return b ? "yes" : "no";
}

}  // namespace

std::string markdownTable(const ProviderRegistry& registry) {
  std::string out =
      "| provider | service | A | AAAA | API documentation |\n|---|---|---|---|---|\n";
  for (const auto& p : registry.all()) {
    out += "| `" + p.name + "` | " + p.description + " | " + yesNo(p.ipv4) + " | " + yesNo(p.ipv6) +
           " | " + p.documentation + " |\n";
  }
  return out;
}

std::string textTable(const ProviderRegistry& registry) {
  size_t nameWidth = 8;
  size_t serviceWidth = 7;
  for (const auto& p : registry.all()) {
    nameWidth = std::max(nameWidth, p.name.size());
    serviceWidth = std::max(serviceWidth, p.description.size());
  }
  std::ostringstream out;
  const auto row = [&](const std::string& name, const std::string& service, const std::string& a,
                       const std::string& aaaa, const std::string& doc) {
    out << name << std::string(nameWidth - name.size() + 2, ' ') << service
        << std::string(serviceWidth - service.size() + 2, ' ') << a
        << std::string(5 - a.size(), ' ') << aaaa << std::string(6 - aaaa.size(), ' ') << doc
        << "\n";
  };
  row("PROVIDER", "SERVICE", "A", "AAAA", "API DOCUMENTATION");
  for (const auto& p : registry.all()) {
    row(p.name, p.description, yesNo(p.ipv4), yesNo(p.ipv6), p.documentation);
  }
  return out.str();
}

const ProviderInfo* ProviderRegistry::find(const std::string& name) const {
  const std::string n = lowercase(name);
  for (const auto& p : providers_) {
    if (p.name == n) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<config::SettingSpec> commonProviderSettings() {
  using T = config::SettingType;
  return {
      config::Setting("host", T::kString)
          .help("Legacy one-record form: the host name to update, relative to domain (\"home\") or "
                "fully qualified; \"@\" or empty with domain set: the zone apex."),
      config::Setting("domain", T::kString)
          .help("Legacy one-record form: the zone (\"example.com\")."),
      config::Setting("type", T::kChoice)
          .choices({"a", "aaaa", "both"})
          .byDefault("a")
          .help("Legacy one-record form: the record type to keep (a, aaaa or both)."),
  };
}

HttpOptions httpOptions(std::chrono::seconds timeout, bool verifyTls, const std::string& caFile) {
  HttpOptions http;
  http.timeout = timeout;
  http.connectTimeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10));
  http.verifyTls = verifyTls;
  http.caFile = caFile;
  return http;
}

std::string recordKey(const std::string& account, const Record& record) {
  return account + " " + record.fqdn() + " " + toString(record.type);
}

std::map<std::string, std::unique_ptr<DnsProvider>> buildProviders(
    const ProviderRegistry& registry, const std::vector<config::AccountConfig>& accounts,
    const std::vector<std::pair<std::string, Record>>& records, const HttpOptions& http,
    std::vector<std::string>& errors) {
  std::map<std::string, std::unique_ptr<DnsProvider>> built;
  for (const auto& account : accounts) {
    ProviderContext context;
    context.section = account.section;
    context.settings = account.settings;
    context.http = http;
    for (const auto& [section, record] : records) {
      if (section == account.section) {
        context.records.push_back(record);
      }
    }
    if (context.records.empty()) {
      continue;  // declared but unused: not built, not contacted
    }
    const auto* info = registry.find(account.provider);
    if (info == nullptr) {
      std::vector<std::string> names;
      for (const auto& known : registry.all()) {
        names.push_back(known.name);
      }
      errors.push_back(account.where + ": unknown provider " + account.provider.substr(0, 60) +
                       didYouMean(account.provider, names));
      continue;
    }
    try {
      built[account.section] = makeProvider(*info, context);
    } catch (const std::exception& e) {
      // A required setting the file leaves out was reported by the loader already
      // ("missing required setting [section] key"); say it once.
      const std::string message = e.what();
      const auto said = std::find_if(errors.begin(), errors.end(), [&](const std::string& x) {
        const std::string missing = "missing required setting [" + account.section + "] ";
        const auto at = x.find(missing);
        return at != std::string::npos && message.find("] " + x.substr(at + missing.size()) +
                                                       " is required") != std::string::npos;
      });
      if (said == errors.end()) {
        errors.push_back(account.where + ": " + message);
      }
    }
  }
  return built;
}

std::vector<config::ProviderDecl> declarations(const ProviderRegistry& registry) {
  std::vector<config::ProviderDecl> decls;
  for (const auto& p : registry.all()) {
    config::ProviderDecl d;
    d.name = p.name;
    d.settings = commonProviderSettings();
    for (const auto& s : p.settings) {
      d.settings.push_back(s);
    }
    d.recordSettings = p.recordSettings;
    decls.push_back(std::move(d));
  }
  return decls;
}

std::chrono::seconds backoffDelay(int failures, std::chrono::seconds retryMin,
                                  std::chrono::seconds retryMax, std::mt19937& rng) {
  long long base = std::max<long long>(1, retryMin.count());
  for (int i = 1; i < failures && base < retryMax.count(); ++i) {
    base *= 2;
  }
  base = std::min<long long>(base, std::max<long long>(1, retryMax.count()));
  std::uniform_int_distribution<long long> jitter((base + 1) / 2, base);
  return std::chrono::seconds(std::max<long long>(1, jitter(rng)));
}

std::chrono::seconds retryDelay(std::optional<std::chrono::seconds> retryAfter,
                                std::chrono::seconds backoff, std::chrono::seconds retryMax) {
  constexpr std::chrono::seconds kFloor{1};
  const std::chrono::seconds ceiling = std::clamp(retryMax, kFloor, kMaxRetryAfter);
  std::chrono::seconds delay = std::clamp(backoff, kFloor, ceiling);
  if (retryAfter) {
    delay = std::max(delay, std::clamp(*retryAfter, kFloor, ceiling));
  }
  return delay;
}

}  // namespace chipmunk::providers
