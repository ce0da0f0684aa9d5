// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/bounded_cache.hpp"
#include "api/directory.hpp"
#include "config/ownership.hpp"

namespace chipmunk::api {

// What a replica knows of a directory it does not load (the PostgreSQL backend): bounded
// caches in front of DirectoryLookup, so that memory does not grow with the number of
// users (docs/SCALING.md "Memory with the PostgreSQL backend").
//
// - Verified users: name, stored hash and the digest of the password last verified against
//   it (Authenticator's cached check). Only successes are cached: a flood of unknown names
//   or wrong passwords evicts nobody.
// - Names (OwnershipSource: is it a user, whose host is it) and each user's hosts; names the
//   directory does not know go to a separate, smaller cache, so they cannot evict the
//   others either.
// - Tokens by id (only those that exist).
// A miss is one query. Every entry carries the generation it was read in; refresh(), run
// once a second by the watcher, bumps the generation when the directory's version moved
// and re-reads the cached entries in a few batched queries (dropping the deleted, keeping
// a cached check only while the hash is the same). An entry of an older generation is a
// miss: so a deletion, a new password or a revoked token counts on every replica within
// about a second, without a reload and without a KDF for the users whose hash stayed.
class DirectoryCache : public config::OwnershipSource {
 public:
  using Digest = std::array<unsigned char, 32>;

  // `directory` must have a lookup(); `capacity`: verified users (and as many names, hosts
  // lists and tokens) kept.
  DirectoryCache(std::shared_ptr<Directory> directory, size_t capacity);

  // The watcher, once a second: asks the version and, when it moved, re-validates the
  // cache. True when it moved (also on the first call). Throws DirectoryUnavailable.
  bool refresh();
  uint64_t generation() const;

  // Users. True when `name`'s last verified password (this generation) has this digest.
  bool verifiedBefore(const std::string& name, const Digest& presented);
  // The stored hash of a directory user: one query (throws DirectoryUnavailable); nullopt
  // for an unknown user, and without a query for a name no user can have.
  std::optional<std::string> userHash(const std::string& name);
  // True when `name` was verified with `presented` against this very `hash` (an entry of an
  // older generation that the re-validation missed): renewed for `generation`.
  bool renewCheck(const std::string& name, const std::string& hash, const Digest& presented,
                  uint64_t generation);
  // Caches a successful check made with what userHash() returned in `generation`.
  void rememberCheck(const std::string& name, const std::string& hash, const Digest& presented,
                     uint64_t generation);
  // The largest PBKDF2 count of the directory's hashes seen so far (0: none yet).
  int maxIterations() const { return maxIterations_.load(); }
  void noteIterations(int iterations);

  // Tokens by id: cached, else one query (throws DirectoryUnavailable).
  std::optional<DirectoryToken> token(const std::string& id);
  bool tokenCached(const std::string& id);

  // OwnershipSource (throws DirectoryUnavailable)
  config::DirectoryName lookup(const std::string& name) const override;
  std::vector<std::string> hostsOf(const std::string& user) const override;
  void prefetch(const std::vector<std::string>& names) const override;

  struct Sizes {
    size_t users = 0, names = 0, unknownNames = 0, hostLists = 0, tokens = 0;
  };
  Sizes sizes() const;
  // Queries made for requests' misses since the start (not the watcher's version checks
  // and re-validations; tests count them).
  uint64_t queries() const { return queries_.load(); }

 private:
  template <typename V>
  struct Fresh {
    V value;
    uint64_t generation = 0;
  };
  struct Check {
    std::string hash;
    Digest digest{};
  };
  // Caches what names() said, if the generation is still `generation`.
  void storeNames(const std::vector<std::pair<std::string, config::DirectoryName>>& found,
                  uint64_t generation) const;
  // refresh()'s re-validation of each cache, in batches.
  void revalidateUsers(uint64_t generation);
  void revalidateNames(uint64_t generation);
  void revalidateTokens(uint64_t generation);

  std::shared_ptr<Directory> directory_;
  DirectoryLookup& lookup_;
  mutable std::mutex mutex_;
  uint64_t generation_ = 1;
  std::optional<long long> version_;
  BoundedCache<Fresh<Check>> checks_;
  mutable BoundedCache<Fresh<config::DirectoryName>> names_;
  mutable BoundedCache<uint64_t> unknownNames_;  // value: the generation
  mutable BoundedCache<Fresh<std::vector<std::string>>> hostLists_;
  BoundedCache<Fresh<DirectoryToken>> tokens_;
  std::atomic<int> maxIterations_{0};
  mutable std::atomic<uint64_t> queries_{0};
};

// [Store] user_cache: the default capacity.
inline constexpr size_t kDefaultUserCache = 10000;

}  // namespace chipmunk::api
