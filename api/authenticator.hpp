#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api_config.hpp"

namespace chipmunk::api {

// Checks user names and passwords against the configured users. Plaintext passwords and
// cached verifications cost one SHA-256 and a constant-time compare; a hashed password's
// slow KDF runs once per user and password, then the result is cached (as a salted
// digest, never the password). Unknown users pay the same KDF, so timing does not tell
// which names exist.
class Authenticator {
 public:
  explicit Authenticator(const std::vector<config::ApiUser>& users);

  // The fast answer: true/false when it can be given without a KDF, nullopt when
  // verifySlow() is needed.
  std::optional<bool> verifyFast(const std::string& user, const std::string& password) const;
  // The full check (runs the KDF when needed) and caches a success.
  bool verifySlow(const std::string& user, const std::string& password);
  bool verify(const std::string& user, const std::string& password) {
    const auto fast = verifyFast(user, password);
    return fast ? *fast : verifySlow(user, password);
  }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    std::string secret;
    bool hashed = false;
    Digest plainDigest{};  // plaintext users: digest of the configured password
    mutable std::mutex mutex;
    bool cached = false;
    Digest cachedDigest{};  // hashed users: digest of the last verified password
  };

  Digest digest(const std::string& password) const;

  std::unordered_map<std::string, std::unique_ptr<Entry>> users_;
};

// Counts failed logins per client address (IPv6 by /64, since one subscriber holds a
// whole /64) and blocks an address that failed too often for a while. A success does not
// reset the count: a valid account must not buy attempts against another one.
class LoginLimiter {
 public:
  LoginLimiter(int maxFailures, std::chrono::seconds window, std::chrono::seconds lockout);

  // Seconds until the address may try again; 0 when it may try now.
  long long blockedFor(const IpAddress& ip, std::chrono::steady_clock::time_point now);
  void recordFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now);

 private:
  struct Slot {
    int failures = 0;
    std::chrono::steady_clock::time_point windowStart;
    std::chrono::steady_clock::time_point blockedUntil;
  };
  static std::string key(const IpAddress& ip);
  void prune(std::chrono::steady_clock::time_point now);

  int maxFailures_;
  std::chrono::seconds window_;
  std::chrono::seconds lockout_;
  std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace chipmunk::api
