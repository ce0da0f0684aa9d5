#include "authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "password_hash.hpp"

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

Authenticator::Authenticator(const std::vector<config::ApiUser>& users) {
  for (const auto& user : users) {
    auto entry = std::make_unique<Entry>();
    entry->secret = user.secret;
    entry->hashed = user.hashed;
    if (!user.hashed) {
      entry->plainDigest = digest(user.secret);
    }
    users_[user.name] = std::move(entry);
  }
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

std::optional<bool> Authenticator::verifyFast(const std::string& user,
                                              const std::string& password) const {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    return std::nullopt;  // unknown: take the slow path like a wrong password would
  }
  const Entry& entry = *it->second;
  const Digest presented = digest(password);
  if (!entry.hashed) {
    return CRYPTO_memcmp(presented.data(), entry.plainDigest.data(), presented.size()) == 0;
  }
  std::lock_guard<std::mutex> lock(entry.mutex);
  if (entry.cached &&
      CRYPTO_memcmp(presented.data(), entry.cachedDigest.data(), presented.size()) == 0) {
    return true;
  }
  return std::nullopt;
}

bool Authenticator::verifySlow(const std::string& user, const std::string& password) {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    // Same cost as a real user's hash, so unknown names take as long as wrong passwords.
    static const std::string dummy = hashPassword("chipmunk-dummy", kDefaultPbkdf2Iterations);
    verifyPasswordHash(password, dummy);
    return false;
  }
  Entry& entry = *it->second;
  if (!entry.hashed) {
    return *verifyFast(user, password);
  }
  if (!verifyPasswordHash(password, entry.secret)) {
    return false;
  }
  const Digest presented = digest(password);
  std::lock_guard<std::mutex> lock(entry.mutex);
  entry.cachedDigest = presented;
  entry.cached = true;
  return true;
}

LoginLimiter::LoginLimiter(int maxFailures, std::chrono::seconds window,
                           std::chrono::seconds lockout)
    : maxFailures_(maxFailures), window_(window), lockout_(lockout) {}

std::string LoginLimiter::key(const IpAddress& ip) {
  const size_t len = ip.isV4() ? 4 : 8;
  return std::string(ip.isV4() ? "4" : "6") +
         std::string(reinterpret_cast<const char*>(ip.bytes()), len);
}

long long LoginLimiter::blockedFor(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  if (maxFailures_ <= 0) {
    return 0;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = slots_.find(key(ip));
  if (it == slots_.end() || it->second.blockedUntil <= now) {
    return 0;
  }
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.blockedUntil - now);
  return left.count() + 1;
}

void LoginLimiter::recordFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now) {
  if (maxFailures_ <= 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (slots_.size() > 100000) {
    prune(now);
  }
  Slot& slot = slots_[key(ip)];
  if (slot.failures == 0 || now - slot.windowStart > window_) {
    slot.failures = 0;
    slot.windowStart = now;
  }
  if (++slot.failures >= maxFailures_) {
    slot.blockedUntil = now + lockout_;
    slot.failures = 0;
  }
}

void LoginLimiter::prune(std::chrono::steady_clock::time_point now) {
  for (auto it = slots_.begin(); it != slots_.end();) {
    const bool stale = it->second.blockedUntil <= now && now - it->second.windowStart > window_;
    it = stale ? slots_.erase(it) : std::next(it);
  }
  if (slots_.size() > 100000) {
    slots_.clear();  // a flood of distinct addresses: forget rather than grow without bound
  }
}

}  // namespace chipmunk::api
