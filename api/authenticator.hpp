// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/token_table.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {
class DirectoryCache;
}

namespace chipmunk::api {

// Checks user names and passwords against the configured users. A correct plaintext
// password and a cached verification cost one SHA-256 and a constant-time compare; a hashed
// password's slow KDF runs once per user and password, then the result is cached (as a
// salted digest, never the password).
//
// Every failed check costs the same work, whoever the user: one PBKDF2 at failCost()
// iterations (the largest count among the configured hashes; the default count when no
// user is hashed). An
// unknown user and a wrong plaintext password pay it as dummy work; a hashed user whose
// count is lower pays the real KDF plus the difference. So timing tells neither which
// names exist nor how their passwords are stored.
//
// A rebuilt Authenticator (SIGHUP, a directory change) takes over the cached verifications
// of `previous` for every user whose stored hash did not change, so a reload costs no KDF.
// It also holds the update tokens in force (see TokenTable and logIn()).
//
// Memory: a user costs one small entry (its digest and flags) besides the users' list it is
// built from, which it shares rather than copies (names and hashes are not held twice; at a
// million directory users that is most of the process).
//
// With a `directory` (the PostgreSQL backend, not loaded): a name that is not one of
// `users` is looked up there (DirectoryCache: one indexed query, on the slow path only),
// and a success cached in its bounded cache. An unknown name costs the same query and the
// same failCost() PBKDF2 as a wrong password; failCost() then also covers the largest count
// of the directory's hashes seen so far. The lookup throws DirectoryUnavailable when the
// database is away (answered 503, not 401).
class Authenticator {
 public:
  using Users = std::vector<config::ApiUser>;
  explicit Authenticator(std::shared_ptr<const Users> users,
                         const Authenticator* previous = nullptr,
                         std::shared_ptr<const TokenTable> tokens = nullptr,
                         std::shared_ptr<DirectoryCache> directory = nullptr);
  // The same with a copy of `users`.
  explicit Authenticator(const Users& users, const Authenticator* previous = nullptr,
                         std::shared_ptr<const TokenTable> tokens = nullptr)
      : Authenticator(std::make_shared<const Users>(users), previous, std::move(tokens)) {}

  const TokenTable& tokens() const { return *tokens_; }
  // Whether `user` is a configured user (a lookup by name; in the directory too).
  bool knows(const std::string& user) const;

  // The fast answer: true when it can be given without a KDF (a correct plaintext password,
  // a cached success), nullopt when verifySlow() is needed. Never false: a failure always
  // takes the slow path, which costs failCost().
  std::optional<bool> verifyFast(const std::string& user, const std::string& password) const;
  // The full check (runs the KDF, or the same work as dummy) and caches a success.
  bool verifySlow(const std::string& user, const std::string& password);
  bool verify(const std::string& user, const std::string& password) {
    const auto fast = verifyFast(user, password);
    return fast ? *fast : verifySlow(user, password);
  }
  // PBKDF2 iterations every failed check costs.
  int failCost() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    const config::ApiUser* user = nullptr;  // in users_' list: the name and the secret
    // Plaintext users: of the configured password (fixed). Hashed users: of the last
    // verified password when `cached` (both under lockOf()).
    Digest digest{};
    int iterations = 0;  // hashed users: the hash's count
    bool hashed = false;
    bool cached = false;
  };

  Digest digest(const std::string& password) const;
  // Copies `previous`'s cached verification of `user` into `entry` when the hash is the same.
  static void keepCached(const Authenticator* previous, const config::ApiUser& user, Entry& entry);
  // The lock of a hashed entry's cache: one of a few, not one per user (a mutex is larger
  // than the rest of the entry).
  std::mutex& lockOf(const Entry& entry) const;
  // verifySlow() of a name that is not one of the users: the directory's.
  bool verifyInDirectory(const std::string& user, const std::string& password);

  std::shared_ptr<const Users> keepUsers_;             // what users_' keys and entries view
  std::unordered_map<std::string_view, Entry> users_;  // by name
  mutable std::array<std::mutex, 64> locks_;
  int failCost_ = 0;
  std::shared_ptr<const TokenTable> tokens_;
  std::shared_ptr<DirectoryCache> directory_;
};

// Counts failed logins per client address (IPv6 by /64, since one subscriber holds a
// whole /64) and blocks an address that failed too often for a while. A success does not
// reset the count: a valid account must not buy attempts against another one.
//
// Memory is bounded without amnesty: at most kMaxCounting addresses that are counting
// failures (the least recently failed one is forgotten first: it loses fewer than
// maxFailures counts) and at most kMaxBlocked blocked addresses (a lockout is only dropped
// before it ends when that many newer ones exist, which takes kMaxBlocked * maxFailures
// failed logins). A flood of addresses that fail once never releases a lockout.
class LoginLimiter {
 public:
  static constexpr size_t kMaxCounting = 100000;
  static constexpr size_t kMaxBlocked = 100000;

  LoginLimiter(int maxFailures, std::chrono::seconds window, std::chrono::seconds lockout,
               size_t maxCounting = kMaxCounting, size_t maxBlocked = kMaxBlocked);

  // New limits for later failures (SIGHUP); the counts and lockouts are kept.
  void configure(int maxFailures, std::chrono::seconds window, std::chrono::seconds lockout);

  // Seconds until the address may try again; 0 when it may try now.
  long long blockedFor(const IpAddress& ip, std::chrono::steady_clock::time_point now);
  // False while no address is locked out: blockedFor() is 0 for every address then.
  bool mayBlock() const { return anyBlocked_.load(std::memory_order_acquire); }
  void recordFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now);
  // Failures counted for the address in the current window (0 when blocked or unknown).
  int failures(const IpAddress& ip, std::chrono::steady_clock::time_point now);

  // The same key as the limiter's: "4" + 4 bytes, or "6" + the /64 prefix.
  static std::string key(const IpAddress& ip);

  size_t countingSize();
  size_t blockedSize();

 private:
  using Order = std::list<std::string>;  // keys, oldest first
  struct Slot {
    int failures = 0;
    std::chrono::steady_clock::time_point windowStart;
    std::chrono::steady_clock::time_point lastFailure;
    std::chrono::steady_clock::time_point blockedUntil;
    bool blocked = false;
    Order::iterator position;  // in counting_ or blocked_
  };

  // Drops counting slots whose window ended and blocked slots whose lockout ended.
  void expire(std::chrono::steady_clock::time_point now);
  void unblock(std::unordered_map<std::string, Slot>::iterator it);
  // recordFailure() under mutex_.
  void countFailure(const IpAddress& ip, std::chrono::steady_clock::time_point now);

  int maxFailures_;
  std::chrono::seconds window_;
  std::chrono::seconds lockout_;
  size_t maxCounting_;
  size_t maxBlocked_;
  std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
  Order counting_;                       // by last failure, oldest first
  Order blocked_;                        // by the start of the lockout, which ends soonest first
  std::atomic<bool> anyBlocked_{false};  // !blocked_.empty(), read without mutex_
};

}  // namespace chipmunk::api
