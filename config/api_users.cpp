// SPDX-License-Identifier: MIT
// chipmunk-api's sections whose keys are names: [Users], [Hosts], [TTL]; and the address
// book's cross-checks between them and [Access] read_all.

#include <tuple>

#include "common/password_hash.hpp"
#include "common/strings.hpp"
#include "config/api_steps.hpp"

namespace chipmunk::config::api_steps {
namespace {

constexpr size_t kPlaintextWarnings = 20;

using Check = std::function<std::string(const std::string& key, const std::string& value)>;

DynamicSectionSpec nameSection(std::string section, std::string keyHelp, std::string valueHelp,
                               Check validate) {
  DynamicSectionSpec spec;
  spec.section = std::move(section);
  spec.keyHelp = std::move(keyHelp);
  spec.valueHelp = std::move(valueHelp);
  spec.validate = std::move(validate);
  return spec;
}

std::string checkHost(const std::string& host, const std::string& owner) {
  if (!isValidHostName(host)) {
    return "invalid host name \"" + host.substr(0, 64) +
           "\": expected a fully qualified domain name";
  }
  if (owner.empty()) {
    return "host " + host + " has no owner";
  }
  return {};
}

std::string checkTtl(const std::string& name, const std::string& value) {
  long long seconds = 0;
  if (!parseSeconds(value, seconds) || seconds > 365 * 86400) {
    return "TTL of " + name.substr(0, 64) + ": expected a duration up to 365d, got \"" +
           value.substr(0, 40) + "\"";
  }
  return {};
}

std::string checkUser(const std::string& name, const std::string& secret) {
  if (!isValidUserName(name)) {
    return "invalid user name \"" + name.substr(0, 64) +
           "\": use letters, digits, '.', '_', '-', '@' (at most 64, starting with "
           "a letter or digit)";
  }
  if (secret.empty()) {
    return "user " + name + " has an empty password";
  }
  if (looksLikePasswordHash(secret)) {
    const std::string problem = checkPasswordHash(secret);
    if (!problem.empty()) {
      return "user " + name + ": " + problem;
    }
  }
  return {};
}

}  // namespace

void addNameSections(Schema& schema) {
  schema.addDynamicSection(nameSection("Hosts", "host name (FQDN)", "owning user", checkHost))
      .addDynamicSection(nameSection("TTL", "user or host name (INI or user directory)",
                                     "duration (0: never expires)", checkTtl))
      .addDynamicSection(
          nameSection("Users", "user name", "password or $pbkdf2-sha256$ hash", checkUser));
}

void loadUsers(const std::string& path, const Settings& settings, ApiConfig& config) {
  const auto& entries = settings.entries("Users");
  config.users.reserve(entries.size());
  size_t plaintext = 0;
  for (const auto& entry : entries) {
    ApiUser user;
    user.name = entry.key;
    user.secret = entry.value;
    user.hashed = looksLikePasswordHash(entry.value);
    user.where = settings.where(entry);
    // One line per user up to a few, then a count: a million plaintext users would
    // otherwise hold a million warnings for the life of the process.
    if (!user.hashed && ++plaintext <= kPlaintextWarnings) {
      config.warnings.push_back(user.where + ": user " + user.name +
                                " has a plaintext password; store a hash from "
                                "'chipmunk-api hash-password' instead");
    }
    config.users.push_back(std::move(user));
  }
  if (plaintext > kPlaintextWarnings) {
    config.warnings.push_back(path + ": " + std::to_string(plaintext - kPlaintextWarnings) +
                              " more users have plaintext passwords");
  }
}

void loadAddressBook(const Settings& settings, ApiConfig& config, const OwnershipIndex& users,
                     std::vector<std::string>& errors) {
  const auto isUser = [&](const std::string& name) { return users.isUser(name); };
  for (const auto& entry : settings.entries("Hosts")) {
    const std::string host = lowercase(entry.key);
    const std::string where = settings.where(entry);
    if (!isUser(entry.value)) {
      errors.push_back(where + ": [Hosts] " + host + ": owner \"" + entry.value.substr(0, 64) +
                       "\" is not in [Users]");
    } else if (isUser(host)) {
      errors.push_back(where + ": [Hosts] " + host + " is also a user name");
    } else if (!config.hostOwners.emplace(host, entry.value).second) {
      errors.push_back(where + ": [Hosts] " + host + " is listed more than once");
    }
  }
  for (const auto& [list, section, key] : {std::tuple(&config.readAll, "Access", "read_all"),
                                           std::tuple(&config.metricsUsers, "Metrics", "users")}) {
    const std::string rule = "[" + std::string(section) + "] " + key;
    for (const auto& name : *list) {
      if (isUser(name)) {
        continue;
      }
      if (!isValidUserName(name)) {
        errors.push_back(settings.where(section, key) + ": " + rule + ": \"" + name.substr(0, 64) +
                         "\" is not a valid user name");
      } else {  // perhaps a directory user: checked when the directory is merged in
        config.ruleNames.push_back({name, rule, settings.where(section, key), false});
      }
    }
  }
  if (config.metricsAccess == MetricsAccess::kAuthenticated && config.metricsUsers.empty()) {
    errors.push_back(settings.where("Metrics", "access") +
                     ": [Metrics] access = authenticated needs [Metrics] users");
  }
  for (const auto& entry : settings.entries("TTL")) {
    std::string name = isUser(entry.key) ? entry.key : lowercase(entry.key);
    if (!isUser(name) && config.hostOwners.count(name) == 0) {
      if (!isValidUserName(entry.key) && !isValidHostName(entry.key)) {
        errors.push_back(settings.where(entry) + ": [TTL] \"" + entry.key.substr(0, 64) +
                         "\" is neither a user nor a host name");
        continue;
      }
      name = entry.key;  // a directory user or host, as written (checked later)
      config.ruleNames.push_back({name, "[TTL]", settings.where(entry), true});
    }
    long long seconds = 0;
    parseSeconds(entry.value, seconds);
    config.ttlOverrides[name] = std::chrono::seconds(seconds);
  }
}

}  // namespace chipmunk::config::api_steps

namespace chipmunk::config {

std::vector<std::string> unknownRuleNames(const ApiConfig& merged) {
  std::vector<std::string> out;
  for (const auto& r : merged.ruleNames) {
    const bool known = merged.ownership && (r.hostToo ? !merged.ownership->ownerOf(r.name).empty()
                                                      : merged.ownership->isUser(r.name));
    if (known) {
      continue;
    }
    std::string message = r.where + ": " + r.rule + ": \"" + r.name + "\" is not in [Users]" +
                          (r.hostToo ? " or [Hosts]" : "") + " nor in the user directory";
    if (r.hostToo && lowercase(r.name) != r.name && merged.ownership &&
        !merged.ownership->ownerOf(lowercase(r.name)).empty()) {
      message += " (a directory host is written in lower case: " + lowercase(r.name) + ")";
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace chipmunk::config
