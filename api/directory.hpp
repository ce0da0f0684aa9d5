// SPDX-License-Identifier: MIT
// The directory: users, hosts and update tokens managed at run time (`chipmunk-api user|host|
// token ...`), kept in the configured store (files in the data directory, or PostgreSQL),
// merged over the INI's [Users]/[Hosts] and picked up by the running server without a
// reload (api/directory_watcher.hpp). docs/USERS.md describes the formats.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/api_config.hpp"

namespace chipmunk::api {

namespace pg {
class Result;
}

struct DirectoryUser {
  std::string name;
  std::string hash;  // always a $pbkdf2-sha256$ hash: the directory never holds a plaintext
};

struct DirectoryHost {
  std::string name;  // lowercase FQDN
  std::string owner;
};

struct DirectoryToken {
  std::string id;                  // kTokenIdHexLength hex digits, public
  std::string owner;               // a user or a host name: the Basic-auth user name
  std::string digest;              // SHA-256 of the secret, 64 hex digits
  std::vector<std::string> hosts;  // empty: every name of the owner (a host: itself)
  int64_t created = 0;             // Unix seconds
};

struct DirectoryData {
  std::vector<DirectoryUser> users;
  std::vector<DirectoryHost> hosts;
  std::vector<DirectoryToken> tokens;
};

// The store cannot answer a directory lookup (the database away): the request is answered
// 503, never 401 (api/service.cpp).
class DirectoryUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A directory too large to hold in memory (PostgreSQL): asked by key, one indexed query per
// call (the keys of a call go in one query). Every call throws DirectoryUnavailable when the
// store cannot answer. api/directory_cache.hpp keeps a bounded cache in front of it.
class DirectoryLookup {
 public:
  virtual ~DirectoryLookup() = default;
  // The number every edit bumps (chipmunk_directory_version).
  virtual long long version() = 0;
  // Those of `names` that are directory users, with their stored hashes.
  virtual std::vector<DirectoryUser> users(const std::vector<std::string>& names) = 0;
  // What the directory says of each of `names`.
  virtual std::vector<std::pair<std::string, config::DirectoryName>> names(
      const std::vector<std::string>& names) = 0;
  // The hosts `owner` owns (none named like a directory user), sorted, at most kMaxHostsOf.
  virtual std::vector<std::string> hostsOf(const std::string& owner) = 0;
  static constexpr size_t kMaxHostsOf = 10000;
  // Those of `ids` that are tokens.
  virtual std::vector<DirectoryToken> tokens(const std::vector<std::string>& ids) = 0;
};

// A directory in a store. load() reads all of it; changed() is the cheap question asked
// once a second by the server (a stat of three files, or one indexed row in PostgreSQL).
// The edits are what the admin commands do; each is atomic and durable.
class Directory {
 public:
  virtual ~Directory() = default;
  // True when the stored directory may differ from what the last load() returned (also
  // after a failed load, for stores that can recover on their own).
  virtual bool changed() = 0;
  // The whole directory; false with `error` ("file:line: message" for a corrupt file).
  virtual bool load(DirectoryData& out, std::string& error) = 0;
  // Lookups by key, for a directory the server does not load (PostgreSQL: see
  // docs/SCALING.md "Memory with the PostgreSQL backend"); null: load() it (the files).
  virtual DirectoryLookup* lookup() { return nullptr; }

  // Creates or replaces a user's hash. `mustExist`: refuse an unknown user (passwd),
  // `mustBeNew`: refuse an existing one (add).
  virtual bool putUser(const DirectoryUser& user, bool mustBeNew, bool mustExist,
                       std::string& error) = 0;
  // Removes the user, its hosts and its tokens (and its hosts' tokens).
  virtual bool deleteUser(const std::string& name, std::string& error) = 0;
  virtual bool putHost(const DirectoryHost& host, std::string& error) = 0;
  // Removes the host and its tokens.
  virtual bool deleteHost(const std::string& name, std::string& error) = 0;
  virtual bool addToken(const DirectoryToken& token, std::string& error) = 0;
  virtual bool revokeToken(const std::string& id, std::string& error) = 0;
};

// The directory of `config`'s store: files in the data directory for [Store] backend =
// file, the chipmunk_users/hosts/tokens tables (migrated on open) for postgresql. Null
// with `error` when the store cannot be opened.
std::unique_ptr<Directory> openDirectory(const config::ApiConfig& config, std::string& error);
std::unique_ptr<Directory> openFileDirectory(const std::string& dataDir, std::string& error);
std::unique_ptr<Directory> openPgDirectory(const std::string& conninfo, std::string& error);
// The lookups of openPgDirectory's directory, on connections of their own (opened on use).
std::unique_ptr<DirectoryLookup> openPgDirectoryLookup(const std::string& conninfo);
// Row `row` of "SELECT id, owner, hash, hosts, created_at FROM chipmunk_tokens".
DirectoryToken tokenFromRow(const pg::Result& rows, int row);

// Update tokens: "cmt_<id>_<secret>", id kTokenIdHexLength and secret kTokenSecretHexLength
// lowercase hex digits (48 and 160 random bits): 57 characters, letters, digits and '_',
// short enough for routers' password fields.
inline constexpr size_t kTokenIdHexLength = 12;
inline constexpr size_t kTokenSecretHexLength = 40;

struct NewToken {
  std::string id;
  std::string secret;  // hex
  std::string text;    // what the client sends: cmt_<id>_<secret>
};
// A fresh token from RAND_bytes; throws std::runtime_error when OpenSSL has no randomness.
NewToken generateToken();
// Splits a well-formed token text; nullopt for anything else.
std::optional<NewToken> parseToken(const std::string& text);
// The stored form of a secret: SHA-256, 64 lowercase hex digits.
std::string tokenDigestHex(const std::string& secret);

// The line formats of the file backend (and of `list`): one entry per line, fields
// separated by one space. Parsing reports the first problem as "file:line: message".
std::string formatUsers(const std::vector<DirectoryUser>& users);
std::string formatHosts(const std::vector<DirectoryHost>& hosts);
std::string formatTokens(const std::vector<DirectoryToken>& tokens);
bool parseUsers(const std::string& text, const std::string& file, std::vector<DirectoryUser>& out,
                std::string& error);
bool parseHosts(const std::string& text, const std::string& file, std::vector<DirectoryHost>& out,
                std::string& error);
bool parseTokens(const std::string& text, const std::string& file, std::vector<DirectoryToken>& out,
                 std::string& error);

// ApiUser::where of the users mergeDirectory takes from the directory.
inline constexpr const char* kDirectoryUserWhere = "directory";

// The INI's users and hosts with the directory's merged over them: on a name in both, the
// directory wins (a warning says so). Entries that cannot apply (a host whose owner is
// unknown, a host named like a user) are left out with a warning. `out` starts as `base`.
void mergeDirectory(const config::ApiConfig& base, const DirectoryData& directory,
                    config::ApiConfig& out, std::vector<std::string>& warnings);

// The address-book rules' names the INI leaves to the directory (config::ApiConfig::
// ruleNames: [Access] read_all, [Metrics] users, [Mesh:NAME] members, [TTL], [push:LABEL]):
// checkRuleNames() (--check-config) asks `ini`'s directory about those names (PostgreSQL:
// by name, one query for all of them, never a load; the files: loaded and merged) and
// appends one "path:line: message" to `errors` per name that is nobody; false when there is
// any, or the directory cannot be read. It opens the directory only when the INI leaves a
// name to it.
bool checkRuleNames(const config::ApiConfig& ini, std::vector<std::string>& errors);
// At start (the directory already merged into `merged`): throws std::runtime_error naming
// every such name. After start a name that becomes nobody (a deleted directory user) is a
// warning: its rules give nothing until the name exists again (docs/USERS.md, "Limits").
void requireKnownRuleNames(const config::ApiConfig& merged);

}  // namespace chipmunk::api
