// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/directory.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class DirectoryCache;

// What a valid update token lets its bearer do: update records as `user`, limited to
// `names` (empty: every name the user owns). Only on the update routes (/set,
// /nic/update, /v3/update): see logIn().
struct TokenGrant {
  std::string user;
  std::vector<std::string> names;
};

// The update tokens in force, by id. A check is one SHA-256 of the presented secret and a
// constant-time compare with the stored digest, never a KDF: the secret has 160 random
// bits, so stretching would add nothing. An unknown id is compared against a dummy digest:
// the same work as a known id with a wrong secret, so timing does not tell which ids exist.
class TokenTable {
 public:
  TokenTable() = default;
  // Tokens whose owner is neither a user nor a host of `config` are left out.
  TokenTable(const std::vector<DirectoryToken>& tokens, const config::ApiConfig& config);
  // The tokens of a directory that is not loaded (PostgreSQL): looked up by id (the cache,
  // else one query; DirectoryUnavailable when the database is away), their owners through
  // `config`'s ownership. An unknown id costs the same query and hash as a known one.
  TokenTable(std::shared_ptr<DirectoryCache> directory, const config::ApiConfig& config);

  // True when checking `password` needs a directory query (a token whose id is not cached):
  // then only off the I/O threads.
  bool needsLookup(const std::string& password) const;

  // The grant when `password` is a token ("cmt_<id>_<secret>") that matches, and the
  // Basic-auth user `name` is the token's owner (for a host token: the host or its owner).
  std::optional<TokenGrant> verify(const std::string& name, const std::string& password) const;
  size_t size() const { return byId_.size(); }
  // Secrets hashed so far (every well-formed token presented, known id or not): tests
  // check that an unknown id costs the same work as a known one.
  uint64_t secretsHashed() const { return secretsHashed_.load(); }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    std::string owner;  // the Basic-auth name the token was made for
    TokenGrant grant;
    Digest digest{};
  };

  using IsUser = std::function<bool(const std::string&)>;
  using HostOwner = std::function<std::string(const std::string&)>;
  // The entry of `t`; nullopt when its owner is gone.
  static std::optional<Entry> entryOf(const DirectoryToken& t, const IsUser& isUser,
                                      const HostOwner& hostOwner);
  void makeDummy();

  std::unordered_map<std::string, Entry> byId_;
  Entry dummy_;
  std::shared_ptr<DirectoryCache> directory_;
  std::shared_ptr<const config::OwnershipIndex> ownership_;
  mutable std::atomic<uint64_t> secretsHashed_{0};
};

}  // namespace chipmunk::api
