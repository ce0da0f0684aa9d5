// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace chipmunk {

// Stored password hashes: "$pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"
// (PBKDF2-HMAC-SHA256 from OpenSSL, 16-byte random salt, 32-byte hash).
inline constexpr int kDefaultPbkdf2Iterations = 600000;  // OWASP 2023 for PBKDF2-HMAC-SHA256
inline constexpr int kMinPbkdf2Iterations = 10000;
inline constexpr int kMaxPbkdf2Iterations = 10000000;

bool looksLikePasswordHash(std::string_view stored);
// Empty string when `stored` is a well-formed hash, otherwise what is wrong with it.
std::string checkPasswordHash(std::string_view stored);
// Creates a hash with a fresh random salt. Throws std::runtime_error if OpenSSL fails.
std::string hashPassword(std::string_view password, int iterations = kDefaultPbkdf2Iterations);
// The iteration count of a well-formed stored hash; 0 for anything else.
int passwordHashIterations(std::string_view stored);
// Runs `iterations` PBKDF2-HMAC-SHA256 iterations on a fixed input and discards the result:
// the same work as checking a password against a hash with that count.
void spendPbkdf2(int iterations);
// Constant-time check of `password` against a stored hash; false for a malformed hash.
bool verifyPasswordHash(std::string_view password, std::string_view stored);

}  // namespace chipmunk
