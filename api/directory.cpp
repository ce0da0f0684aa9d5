// SPDX-License-Identifier: MIT
// The directory's shared parts: tokens, the line formats, the merge over the INI.
#include "api/directory.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "common/password_hash.hpp"
#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

std::string hex(const unsigned char* data, size_t size) {
  return hexOf(std::string_view(reinterpret_cast<const char*>(data), size));
}

bool isLowerHex(const std::string& s, size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string randomHex(size_t hexDigits) {
  std::vector<unsigned char> bytes(hexDigits / 2);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no randomness for a token");
  }
  return hex(bytes.data(), bytes.size());
}

// The fields of each non-empty, non-comment line, with its number; false at the first line
// that does not have `minFields`..`maxFields` fields.
template <typename OnLine>
bool forEachLine(const std::string& text, const std::string& file, size_t minFields,
                 size_t maxFields, std::string& error, OnLine onLine) {
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = file + ":" + std::to_string(number) + ": ";
    if (line.size() > 4096) {
      error = where + "line too long";
      return false;
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> fields;
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      fields.push_back(w);
    }
    if (fields.size() < minFields || fields.size() > maxFields) {
      error = where + "expected " + std::to_string(minFields) +
              (minFields == maxFields ? "" : " to " + std::to_string(maxFields)) +
              " fields separated by spaces";
      return false;
    }
    const std::string problem = onLine(fields);
    if (!problem.empty()) {
      error = where + problem;
      return false;
    }
  }
  return true;
}

std::string joinHosts(const std::vector<std::string>& hosts) {
  std::string out;
  for (const auto& h : hosts) {
    out += (out.empty() ? "" : ",") + h;
  }
  return out.empty() ? "*" : out;
}

// A guess at the number of lines, for reserve(): hash tables rebuilt while growing cost
// more than the parse at 100k entries.
size_t linesIn(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

}  // namespace

NewToken generateToken() {
  NewToken t;
  t.id = randomHex(kTokenIdHexLength);
  t.secret = randomHex(kTokenSecretHexLength);
  t.text = "cmt_" + t.id + "_" + t.secret;
  return t;
}

std::optional<NewToken> parseToken(const std::string& text) {
  constexpr size_t kLength = 4 + kTokenIdHexLength + 1 + kTokenSecretHexLength;
  if (text.size() != kLength || text.compare(0, 4, "cmt_") != 0 ||
      text[4 + kTokenIdHexLength] != '_') {
    return std::nullopt;
  }
  NewToken t;
  t.id = text.substr(4, kTokenIdHexLength);
  t.secret = text.substr(5 + kTokenIdHexLength);
  if (!isLowerHex(t.id, kTokenIdHexLength) || !isLowerHex(t.secret, kTokenSecretHexLength)) {
    return std::nullopt;
  }
  t.text = text;
  return t;
}

std::string tokenDigestHex(const std::string& secret) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return hex(out, len);
}

std::string formatUsers(const std::vector<DirectoryUser>& users) {
  std::string out = "# chipmunk-api users: name pbkdf2-hash (managed by 'chipmunk-api user')\n";
  for (const auto& u : users) {
    out += u.name + " " + u.hash + "\n";
  }
  return out;
}

std::string formatHosts(const std::vector<DirectoryHost>& hosts) {
  std::string out = "# chipmunk-api hosts: name owner (managed by 'chipmunk-api host')\n";
  for (const auto& h : hosts) {
    out += h.name + " " + h.owner + "\n";
  }
  return out;
}

std::string formatTokens(const std::vector<DirectoryToken>& tokens) {
  std::string out =
      "# chipmunk-api tokens: id owner sha256(secret) created hosts (managed by "
      "'chipmunk-api token')\n";
  for (const auto& t : tokens) {
    out += t.id + " " + t.owner + " " + t.digest + " " + std::to_string(t.created) + " " +
           joinHosts(t.hosts) + "\n";
  }
  return out;
}

bool parseUsers(const std::string& text, const std::string& file, std::vector<DirectoryUser>& out,
                std::string& error) {
  std::unordered_set<std::string> seen(linesIn(text));
  out.reserve(linesIn(text));
  return forEachLine(text, file, 2, 2, error, [&](const std::vector<std::string>& f) {
    if (!config::isValidUserName(f[0])) {
      return std::string("invalid user name");
    }
    const std::string problem = checkPasswordHash(f[1]);
    if (!problem.empty()) {
      return "user " + f[0] + ": " + problem;
    }
    if (!seen.insert(f[0]).second) {
      return "user " + f[0] + " is listed more than once";
    }
    out.push_back({f[0], f[1]});
    return std::string();
  });
}

bool parseHosts(const std::string& text, const std::string& file, std::vector<DirectoryHost>& out,
                std::string& error) {
  std::unordered_set<std::string> seen(linesIn(text));
  out.reserve(linesIn(text));
  return forEachLine(text, file, 2, 2, error, [&](const std::vector<std::string>& f) {
    if (!config::isValidHostName(f[0]) || lowercase(f[0]) != f[0]) {
      return std::string("invalid host name");
    }
    if (!config::isValidUserName(f[1])) {
      return "host " + f[0] + ": invalid owner";
    }
    if (!seen.insert(f[0]).second) {
      return "host " + f[0] + " is listed more than once";
    }
    out.push_back({f[0], f[1]});
    return std::string();
  });
}

bool parseTokens(const std::string& text, const std::string& file, std::vector<DirectoryToken>& out,
                 std::string& error) {
  std::unordered_set<std::string> seen;
  return forEachLine(text, file, 5, 5, error, [&](const std::vector<std::string>& f) {
    DirectoryToken t;
    t.id = f[0];
    t.owner = f[1];
    t.digest = f[2];
    if (!isLowerHex(t.id, kTokenIdHexLength) || !isLowerHex(t.digest, 64)) {
      return std::string("malformed token id or digest");
    }
    if (!config::isValidUserName(t.owner) && !config::isValidHostName(t.owner)) {
      return std::string("invalid token owner");
    }
    try {
      t.created = std::stoll(f[3]);
    } catch (const std::exception&) {
      return std::string("invalid creation time");
    }
    if (f[4] != "*") {
      std::istringstream names(f[4]);
      for (std::string h; std::getline(names, h, ',');) {
        if (!config::isValidHostName(h) && !config::isValidUserName(h)) {
          return std::string("invalid name in the token's hosts");
        }
        t.hosts.push_back(h);
      }
    }
    if (!seen.insert(t.id).second) {
      return "token " + t.id + " is listed more than once";
    }
    out.push_back(std::move(t));
    return std::string();
  });
}

void mergeDirectory(const config::ApiConfig& base, const DirectoryData& directory,
                    config::ApiConfig& out, std::vector<std::string>& warnings) {
  out = base;
  std::unordered_map<std::string, size_t> userIndex(out.users.size() + directory.users.size());
  out.users.reserve(out.users.size() + directory.users.size());
  for (size_t i = 0; i < out.users.size(); ++i) {
    userIndex[out.users[i].name] = i;
  }
  for (const auto& u : directory.users) {
    config::ApiUser user{u.name, u.hash, true, kDirectoryUserWhere};
    const auto it = userIndex.find(u.name);
    if (it != userIndex.end()) {
      warnings.push_back(out.users[it->second].where + ": user " + u.name +
                         " is also in the directory; the directory's password is used");
      out.users.set(it->second, std::move(user));
    } else {
      userIndex.emplace(u.name, out.users.size());
      out.users.push_back(std::move(user));
    }
  }
  for (const auto& h : directory.hosts) {
    if (userIndex.count(h.name) != 0) {
      warnings.push_back("directory: host " + h.name + " is also a user name; ignored");
      continue;
    }
    if (userIndex.count(h.owner) == 0) {
      warnings.push_back("directory: host " + h.name + ": owner " + h.owner +
                         " is not a user; ignored");
      continue;
    }
    auto [it, fresh] = out.hostOwners.emplace(h.name, h.owner);
    if (!fresh && it->second != h.owner) {
      warnings.push_back("[Hosts] " + h.name + " is also in the directory (owner " + h.owner +
                         "); the directory's owner is used");
      it->second = h.owner;
    }
  }
  out.indexOwnership();  // the directory's users and hosts own names too
}

namespace {

// What --check-config asks of a directory it does not load (PostgreSQL): the names given
// to prefetch() in a query per kChunk of them, any other name the ownership index asks
// about in one query each, every answer remembered. Bounded by the INI: it names them all.
class LookedUpNames : public config::OwnershipSource {
 public:
  static constexpr size_t kChunk = 1000;  // names per query
  explicit LookedUpNames(DirectoryLookup& lookup) : lookup_(lookup) {}
  config::DirectoryName lookup(const std::string& name) const override {
    prefetch({name});
    return known_.at(name);
  }
  std::vector<std::string> hostsOf(const std::string& user) const override {
    return lookup_.hostsOf(user);
  }
  void prefetch(const std::vector<std::string>& names) const override {
    std::vector<std::string> missing;
    for (const auto& name : names) {
      if (known_.count(name) == 0) {
        missing.push_back(name);
      }
    }
    for (size_t start = 0; start < missing.size(); start += kChunk) {
      const size_t end = std::min(missing.size(), start + kChunk);
      for (auto& [name, found] : lookup_.names({missing.begin() + start, missing.begin() + end})) {
        known_[name] = std::move(found);
      }
    }
    for (const auto& name : missing) {
      known_.try_emplace(name);  // not in the answer: nobody
    }
  }

 private:
  DirectoryLookup& lookup_;
  mutable std::unordered_map<std::string, config::DirectoryName> known_;
};

// The names the check asks the directory about: each rule's (a host's in lower case too),
// and each [Hosts] name (the ownership index asks whether it is a directory user's; its
// owner is an INI user, the loader checked).
std::vector<std::string> namesToAsk(const config::ApiConfig& ini) {
  std::vector<std::string> names;
  for (const auto& r : ini.ruleNames) {
    names.push_back(r.name);
    if (r.hostToo && lowercase(r.name) != r.name) {
      names.push_back(lowercase(r.name));
    }
  }
  for (const auto& host : ini.hostOwners) {
    names.push_back(host.first);
  }
  return names;
}

// `unknown`: the rules' names neither `ini` nor `directory` has. A directory that is not
// loaded (PostgreSQL) is asked for those names (namesToAsk: one query per kChunk of them);
// the files are loaded and merged. False (`error`) when it cannot answer.
bool unknownWithDirectory(const config::ApiConfig& ini, Directory& directory,
                          std::vector<std::string>& unknown, std::string& error) {
  config::ApiConfig merged;
  if (DirectoryLookup* lookup = directory.lookup()) {
    try {
      merged = ini;
      auto source = std::make_shared<LookedUpNames>(*lookup);
      source->prefetch(namesToAsk(ini));
      merged.indexOwnership(source);
      unknown = config::unknownRuleNames(merged);
      return true;
    } catch (const DirectoryUnavailable& e) {
      error = e.what();
      return false;
    }
  }
  DirectoryData data;
  if (!directory.load(data, error)) {
    return false;
  }
  std::vector<std::string> ignored;  // the server logs them
  mergeDirectory(ini, data, merged, ignored);
  unknown = config::unknownRuleNames(merged);
  return true;
}

}  // namespace

bool checkRuleNames(const config::ApiConfig& ini, std::vector<std::string>& errors) {
  if (ini.ruleNames.empty()) {
    return true;
  }
  std::string error;
  auto directory = openDirectory(ini, error);
  std::vector<std::string> unknown;
  const bool read = directory && unknownWithDirectory(ini, *directory, unknown, error);
  if (!read) {
    unknown = config::unknownRuleNames(ini);  // the INI alone
  }
  errors.insert(errors.end(), unknown.begin(), unknown.end());
  if (!read && !unknown.empty()) {
    errors.push_back(ini.path + ": (the user directory could not be read: " + error + ")");
  }
  return unknown.empty();
}

void requireKnownRuleNames(const config::ApiConfig& merged) {
  std::string message;
  for (const auto& m : config::unknownRuleNames(merged)) {
    message += (message.empty() ? "" : "; ") + m;
  }
  if (!message.empty()) {
    throw std::runtime_error(message);
  }
}

}  // namespace chipmunk::api
