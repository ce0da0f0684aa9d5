// SPDX-License-Identifier: MIT
#include "api/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "api/directory_cache.hpp"
#include "common/password_hash.hpp"

namespace chipmunk::api {
namespace {

// A per-process random key: cached digests are useless outside this process.
const std::array<unsigned char, 32>& processKey() {
  static const auto key = [] {
    std::array<unsigned char, 32> k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
      throw std::runtime_error("no randomness for the credential cache key");
    }
    return k;
  }();
  return key;
}

const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

Authenticator::Authenticator(std::shared_ptr<const Users> users, const Authenticator* previous,
                             std::shared_ptr<const TokenTable> tokens,
                             std::shared_ptr<DirectoryCache> directory)
    : keepUsers_(users ? std::move(users) : std::make_shared<const Users>()),
      tokens_(tokens ? std::move(tokens) : std::make_shared<const TokenTable>()),
      directory_(std::move(directory)) {
  users_.reserve(keepUsers_->size());
  for (const auto& user : *keepUsers_) {
    Entry entry;
    entry.user = &user;
    entry.hashed = user.hashed;
    if (user.hashed) {
      entry.iterations = passwordHashIterations(user.secret);
      failCost_ = std::max(failCost_, entry.iterations);
      keepCached(previous, user, entry);
    } else {
      entry.digest = digest(user.secret);
    }
    users_.insert_or_assign(std::string_view(user.name), entry);  // a name given twice: the last
  }
  if (failCost_ == 0) {
    // No hashes configured: a failure costs what checking a default hash would (what an
    // unknown name has always cost).
    failCost_ = kDefaultPbkdf2Iterations;
  }
}

void Authenticator::keepCached(const Authenticator* previous, const config::ApiUser& user,
                               Entry& entry) {
  if (previous == nullptr) {
    return;
  }
  const auto it = previous->users_.find(user.name);
  if (it == previous->users_.end() || !it->second.hashed ||
      it->second.user->secret != user.secret) {
    return;  // a new user or a new hash: its password must be checked again
  }
  std::lock_guard<std::mutex> lock(previous->lockOf(it->second));
  entry.cached = it->second.cached;
  entry.digest = it->second.digest;
}

std::mutex& Authenticator::lockOf(const Entry& entry) const {
  // Entries stay where they are (map nodes): their address picks the lock.
  const auto at = reinterpret_cast<uintptr_t>(&entry);
  return locks_[((at >> 4) ^ (at >> 12)) % locks_.size()];
}

Authenticator::Digest Authenticator::digest(const std::string& password) const {
  Digest out{};
  const auto& key = processKey();
  // One context per thread, re-initialised per call: this runs on every authenticated
  // request, and creating and freeing a context cost as much as the hashing itself.
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                            EVP_MD_CTX_free);
  unsigned int len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), key.data(), key.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), password.data(), password.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1;
  if (!ok) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

int Authenticator::failCost() const {
  // With a directory not loaded, its hashes' counts are known only once seen: a failure
  // costs at least what `chipmunk-api user add` uses by default, so that an unknown name
  // is not cheaper than a directory user whose hash was not met yet.
  return directory_ ? std::max({failCost_, directory_->maxIterations(), kDefaultPbkdf2Iterations})
                    : failCost_;
}

bool Authenticator::knows(const std::string& user) const {
  if (users_.count(user) != 0) {
    return true;
  }
  try {
    return directory_ && directory_->lookup(user).isUser;
  } catch (const std::exception&) {
    return false;  // only for the request log: the name is then not written
  }
}

std::optional<bool> Authenticator::verifyFast(const std::string& user,
                                              const std::string& password) const {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    // A directory user's cached check; anything else (unknown here) takes the slow path,
    // like a wrong password.
    if (directory_ && directory_->verifiedBefore(user, digest(password))) {
      return true;
    }
    return std::nullopt;
  }
  const Entry& entry = it->second;
  const Digest presented = digest(password);
  if (!entry.hashed) {
    if (CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0) {
      return true;
    }
    return std::nullopt;  // wrong: pays failCost() on the slow path
  }
  std::lock_guard<std::mutex> lock(lockOf(entry));
  if (entry.cached && CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0) {
    return true;
  }
  return std::nullopt;
}

bool Authenticator::verifyInDirectory(const std::string& user, const std::string& password) {
  const uint64_t generation = directory_->generation();
  const auto hash = directory_->userHash(user);  // the same query for every name
  const Digest presented = digest(password);
  if (!hash) {
    spendPbkdf2(failCost());
    return false;
  }
  const int iterations = passwordHashIterations(*hash);
  directory_->noteIterations(iterations);
  if (directory_->renewCheck(user, *hash, presented, generation)) {
    return true;  // verified before against this very hash
  }
  if (!verifyPasswordHash(password, *hash)) {
    spendPbkdf2(failCost() - iterations);
    return false;
  }
  directory_->rememberCheck(user, *hash, presented, generation);
  return true;
}

bool Authenticator::verifySlow(const std::string& user, const std::string& password) {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    if (directory_) {
      return verifyInDirectory(user, password);
    }
    spendPbkdf2(failCost_);
    return false;
  }
  Entry& entry = it->second;
  const Digest presented = digest(password);
  if (!entry.hashed) {
    if (CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0) {
      return true;
    }
    spendPbkdf2(failCost());
    return false;
  }
  if (!verifyPasswordHash(password, entry.user->secret)) {
    spendPbkdf2(failCost() - entry.iterations);
    return false;
  }
  std::lock_guard<std::mutex> lock(lockOf(entry));
  entry.digest = presented;
  entry.cached = true;
  return true;
}

LoginLimiter::LoginLimiter(int maxFailures, std::chrono::seconds window,
                           std::chrono::seconds lockout, size_t maxCounting, size_t maxBlocked)
    : maxFailures_(maxFailures),
      window_(window),
      lockout_(lockout),
      maxCounting_(std::max<size_t>(1, maxCounting)),
      maxBlocked_(std::max<size_t>(1, maxBlocked)) {}

void LoginLimiter::configure(int maxFailures, std::chrono::seconds window,
                             std::chrono::seconds lockout) {
  std::lock_guard<std::mutex> lock(mutex_);
  maxFailures_ = maxFailures;
  window_ = window;
  lockout_ = lockout;
}

std::string LoginLimiter::key(const IpAddress& ip) {
  const size_t len = ip.isV4() ? 4 : 8;
  return std::string(ip.isV4() ? "4" : "6") +
         std::string(reinterpret_cast<const char*>(ip.bytes()), len);
}

void LoginLimiter::unblock(std::unordered_map<std::string, Slot>::iterator it) {
  Slot& slot = it->second;
  blocked_.erase(slot.position);
  slot.blocked = false;
  slot.failures = 0;
  counting_.push_back(it->first);
  slot.position = std::prev(counting_.end());
}

void LoginLimiter::expire(std::chrono::steady_clock::time_point now) {
  // Both lists are in time order, so this stops at the first slot still in force.
  while (!blocked_.empty()) {
    const auto it = slots_.find(blocked_.front());
    if (it->second.blockedUntil > now) {
      break;
    }
    blocked_.pop_front();
    slots_.erase(it);
  }
  while (!counting_.empty()) {
    const auto it = slots_.find(counting_.front());
    if (now - it->second.lastFailure <= window_) {
      break;
    }
    counting_.pop_front();
    slots_.erase(it);
  }
}

long long LoginLimiter::blockedFor(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  // Asked before every login: while no address is locked out (the usual state) the answer
  // needs neither the mutex (both I/O threads took it at every request) nor the key.
  if (!mayBlock()) {
    return 0;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (maxFailures_ <= 0) {
    return 0;
  }
  const auto it = slots_.find(key(ip));
  if (it == slots_.end() || !it->second.blocked || it->second.blockedUntil <= now) {
    return 0;
  }
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.blockedUntil - now);
  return left.count() + 1;
}

int LoginLimiter::failures(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = slots_.find(key(ip));
  if (it == slots_.end() || it->second.blocked || now - it->second.windowStart > window_) {
    return 0;
  }
  return it->second.failures;
}

void LoginLimiter::recordFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  countFailure(ip, now);
  anyBlocked_.store(!blocked_.empty(), std::memory_order_release);  // blocked_ changes only here
}

void LoginLimiter::countFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  if (maxFailures_ <= 0) {
    return;
  }
  expire(now);
  const std::string k = key(ip);
  auto it = slots_.find(k);
  if (it == slots_.end()) {
    if (counting_.size() >= maxCounting_) {
      // Forget the address that failed least recently; never a blocked one.
      slots_.erase(counting_.front());
      counting_.pop_front();
    }
    it = slots_.emplace(k, Slot{}).first;
    counting_.push_back(k);
    it->second.position = std::prev(counting_.end());
  } else if (it->second.blocked) {
    if (it->second.blockedUntil > now) {
      return;  // already locked out; a failure now does not extend it
    }
    unblock(it);
  } else {
    counting_.splice(counting_.end(), counting_, it->second.position);
  }
  Slot& slot = it->second;
  if (slot.failures == 0 || now - slot.windowStart > window_) {
    slot.failures = 0;
    slot.windowStart = now;
  }
  slot.lastFailure = now;
  if (++slot.failures < maxFailures_) {
    return;
  }
  if (blocked_.size() >= maxBlocked_) {
    // Only after maxBlocked newer lockouts: the one that ends soonest goes.
    slots_.erase(blocked_.front());
    blocked_.pop_front();
  }
  counting_.erase(slot.position);
  blocked_.push_back(k);
  slot.position = std::prev(blocked_.end());
  slot.blocked = true;
  slot.blockedUntil = now + lockout_;
  slot.failures = 0;
}

size_t LoginLimiter::countingSize() {
  std::lock_guard<std::mutex> lock(mutex_);
  return counting_.size();
}

size_t LoginLimiter::blockedSize() {
  std::lock_guard<std::mutex> lock(mutex_);
  return blocked_.size();
}

}  // namespace chipmunk::api
