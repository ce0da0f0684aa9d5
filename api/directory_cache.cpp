// SPDX-License-Identifier: MIT
#include "api/directory_cache.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <unordered_map>

#include "api/auth_memo.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {
namespace {

// Keys per re-validation query: a cache of 10,000 users costs 10 queries per change.
constexpr size_t kBatch = 1000;

// Names a lookup may be asked for: a user name or a host name (anything else, from a
// client's Authorization header, is nobody without a query).
bool mayBeName(const std::string& name) {
  return config::isValidUserName(name) || config::isValidHostName(name);
}

template <typename Each>
void inBatches(const std::vector<std::string>& keys, Each each) {
  for (size_t i = 0; i < keys.size(); i += kBatch) {
    each(std::vector<std::string>(keys.begin() + i,
                                  keys.begin() + std::min(keys.size(), i + kBatch)));
  }
}

}  // namespace

DirectoryCache::DirectoryCache(std::shared_ptr<Directory> directory, size_t capacity)
    : directory_(std::move(directory)),
      lookup_(*directory_->lookup()),
      checks_(capacity),
      names_(capacity),
      unknownNames_(std::max<size_t>(16, capacity / 4)),
      hostLists_(capacity),
      tokens_(capacity) {}

uint64_t DirectoryCache::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

bool DirectoryCache::refresh() {
  const long long version = lookup_.version();
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (version_ && *version_ == version) {
      return false;
    }
    const bool first = !version_;
    version_ = version;
    if (first) {
      return true;
    }
    generation = ++generation_;  // from now on every older entry is a miss
    credentialsChanged();        // and no connection's remembered login stands
    hostLists_.clear();          // asked again when needed
  }
  revalidateUsers(generation);
  revalidateNames(generation);
  revalidateTokens(generation);
  return true;
}

void DirectoryCache::revalidateUsers(uint64_t generation) {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys = checks_.keys();
  }
  inBatches(keys, [&](const std::vector<std::string>& batch) {
    std::unordered_map<std::string, std::string> hashes;
    for (auto& u : lookup_.users(batch)) {
      hashes.emplace(std::move(u.name), std::move(u.hash));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& name : batch) {
      auto* entry = checks_.peek(name);  // re-validating is not a use
      if (entry == nullptr || entry->generation >= generation) {
        continue;  // gone meanwhile, or cached after the bump
      }
      const auto it = hashes.find(name);
      if (it != hashes.end() && it->second == entry->value.hash) {
        entry->generation = generation;  // same hash: the cached check stands
      } else {
        checks_.erase(name);  // deleted, or a new password: checked again
      }
    }
  });
}

void DirectoryCache::revalidateNames(uint64_t generation) {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys = names_.keys();
    const auto unknown = unknownNames_.keys();
    keys.insert(keys.end(), unknown.begin(), unknown.end());
  }
  inBatches(keys, [&](const std::vector<std::string>& batch) {
    const auto found = lookup_.names(batch);
    storeNames(found, generation);
  });
}

void DirectoryCache::revalidateTokens(uint64_t generation) {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys = tokens_.keys();
  }
  inBatches(keys, [&](const std::vector<std::string>& batch) {
    auto found = lookup_.tokens(batch);
    std::lock_guard<std::mutex> lock(mutex_);
    if (generation_ != generation) {
      return;  // another change since: its refresh re-reads them
    }
    std::unordered_map<std::string, DirectoryToken> byId;
    for (auto& t : found) {
      const std::string id = t.id;
      byId.emplace(id, std::move(t));
    }
    for (const auto& id : batch) {
      const auto it = byId.find(id);
      if (it == byId.end()) {
        tokens_.erase(id);  // revoked
      } else if (auto* entry = tokens_.peek(id)) {
        *entry = {std::move(it->second), generation};  // re-validating is not a use
      }
    }
  });
}

bool DirectoryCache::verifiedBefore(const std::string& name, const Digest& presented) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto* entry = checks_.find(name);
  return entry != nullptr && entry->generation == generation_ &&
         CRYPTO_memcmp(entry->value.digest.data(), presented.data(), presented.size()) == 0;
}

std::optional<std::string> DirectoryCache::userHash(const std::string& name) {
  if (!config::isValidUserName(name)) {
    return std::nullopt;
  }
  auto found = lookup_.users({name});
  ++queries_;
  if (found.empty()) {
    return std::nullopt;
  }
  return std::move(found.front().hash);
}

bool DirectoryCache::renewCheck(const std::string& name, const std::string& hash,
                                const Digest& presented, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto* entry = checks_.find(name);
  if (entry == nullptr || entry->value.hash != hash ||
      CRYPTO_memcmp(entry->value.digest.data(), presented.data(), presented.size()) != 0) {
    return false;
  }
  entry->generation = std::max(entry->generation, generation);
  return true;
}

void DirectoryCache::rememberCheck(const std::string& name, const std::string& hash,
                                   const Digest& presented, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation == generation_) {  // else the hash may be stale already: not cached
    checks_.put(name, {{hash, presented}, generation});
  }
}

void DirectoryCache::noteIterations(int iterations) {
  int seen = maxIterations_.load();
  while (iterations > seen && !maxIterations_.compare_exchange_weak(seen, iterations)) {
  }
}

std::optional<DirectoryToken> DirectoryCache::token(const std::string& id) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* entry = tokens_.find(id);
    if (entry != nullptr && entry->generation == generation_) {
      return entry->value;
    }
    generation = generation_;
  }
  auto found = lookup_.tokens({id});
  ++queries_;
  std::lock_guard<std::mutex> lock(mutex_);
  if (found.empty()) {
    tokens_.erase(id);
    return std::nullopt;  // unknown ids are not cached: a flood of them evicts nobody
  }
  if (generation == generation_) {
    tokens_.put(id, {found.front(), generation});
  }
  return std::move(found.front());
}

bool DirectoryCache::tokenCached(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto* entry = tokens_.find(id);
  return entry != nullptr && entry->generation == generation_;
}

void DirectoryCache::storeNames(
    const std::vector<std::pair<std::string, config::DirectoryName>>& found,
    uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) {
    return;
  }
  for (const auto& [name, what] : found) {
    if (what.isUser || !what.hostOwner.empty()) {
      unknownNames_.erase(name);
      names_.put(name, {what, generation});
    } else {
      names_.erase(name);
      unknownNames_.put(name, generation);
    }
  }
}

config::DirectoryName DirectoryCache::lookup(const std::string& name) const {
  if (!mayBeName(name)) {
    return {};
  }
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* entry = names_.find(name); entry && entry->generation == generation_) {
      return entry->value;
    }
    if (const auto* entry = unknownNames_.find(name); entry && *entry == generation_) {
      return {};
    }
    generation = generation_;
  }
  const auto found = lookup_.names({name});
  ++queries_;
  storeNames(found, generation);
  return found.empty() ? config::DirectoryName{} : found.front().second;
}

std::vector<std::string> DirectoryCache::hostsOf(const std::string& user) const {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* entry = hostLists_.find(user); entry && entry->generation == generation_) {
      return entry->value;
    }
    generation = generation_;
  }
  auto hosts = lookup_.hostsOf(user);
  ++queries_;
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation == generation_) {
    hostLists_.put(user, {hosts, generation});
  }
  return hosts;
}

void DirectoryCache::prefetch(const std::vector<std::string>& names) const {
  std::vector<std::string> missing;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation = generation_;
    for (const auto& name : names) {
      const auto* known = names_.find(name);
      const auto* unknown = unknownNames_.find(name);
      const bool fresh =
          (known && known->generation == generation) || (unknown && *unknown == generation);
      if (!fresh && mayBeName(name)) {
        missing.push_back(name);
      }
    }
  }
  if (missing.empty()) {
    return;
  }
  // More than the caches hold would evict what this page needs first.
  missing.resize(std::min(missing.size(), unknownNames_.capacity()));
  storeNames(lookup_.names(missing), generation);
  ++queries_;
}

DirectoryCache::Sizes DirectoryCache::sizes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {checks_.size(), names_.size(), unknownNames_.size(), hostLists_.size(), tokens_.size()};
}

}  // namespace chipmunk::api
