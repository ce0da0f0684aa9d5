// SPDX-License-Identifier: MIT
// The last Authorization value a connection logged in with, so that a keep-alive client
// that sends the same bytes again is not decoded, digested and looked up again (logIn()).
#pragma once

#include <openssl/crypto.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace chipmunk::api {

// Bumped whenever what a login is checked against changes: ApiService's runtime (a reload:
// users, update tokens, the directory's users) and the PostgreSQL directory's cache (a
// password changed, a user deleted, a token revoked). An AuthMemo of another generation
// is never used. Bumped after the change is in place; read before the runtime is.
inline std::atomic<uint64_t> credentialsGeneration{1};
inline void credentialsChanged() {
  credentialsGeneration.fetch_add(1, std::memory_order_acq_rel);
}

// One per connection (ConnectionState), used on its I/O thread only. Holds at most one
// value of at most kMaxValue bytes; a longer one is just not remembered. Only password
// logins that succeeded without the slow pool are remembered, never an update token's.
class AuthMemo {
 public:
  static constexpr size_t kMaxValue = 512;

  AuthMemo() = default;
  AuthMemo(const AuthMemo&) = delete;
  AuthMemo& operator=(const AuthMemo&) = delete;
  ~AuthMemo() { forget(); }

  // The user `value` logged in as under `generation`, or nullptr. `writes`: the route
  // tries update tokens first, so only a value remembered where the token check had
  // refused it counts.
  const std::string* find(std::string_view value, uint64_t generation, bool writes) const {
    if (!valid_ || generation != generation_ || value.size() != value_.size() ||
        (writes && !tokensRefused_)) {
      return nullptr;
    }
    return CRYPTO_memcmp(value.data(), value_.data(), value.size()) == 0 ? &user_ : nullptr;
  }

  void remember(std::string_view value, const std::string& user, uint64_t generation,
                bool tokensRefused) {
    forget();
    if (value.size() > kMaxValue) {
      return;
    }
    value_.assign(value.data(), value.size());
    user_ = user;
    generation_ = generation;
    tokensRefused_ = tokensRefused;
    valid_ = true;
  }

  void forget() {
    if (!value_.empty()) {
      OPENSSL_cleanse(value_.data(), value_.size());
    }
    value_.clear();
    user_.clear();
    valid_ = false;
  }

 private:
  std::string value_;
  std::string user_;
  uint64_t generation_ = 0;
  bool tokensRefused_ = false;
  bool valid_ = false;
};

}  // namespace chipmunk::api
