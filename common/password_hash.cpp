// SPDX-License-Identifier: MIT
#include "common/password_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>
#include <stdexcept>
#include <vector>

#include "common/base64.hpp"

namespace chipmunk {
namespace {

constexpr std::string_view kPrefix = "$pbkdf2-sha256$";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

struct Parsed {
  int iterations = 0;
  std::string salt;
  std::string hash;
};

std::optional<Parsed> parse(std::string_view stored, std::string* why) {
  auto fail = [&](const char* message) -> std::optional<Parsed> {
    if (why != nullptr) {
      *why = message;
    }
    return std::nullopt;
  };
  if (stored.substr(0, kPrefix.size()) != kPrefix) {
    return fail("password hash must start with $pbkdf2-sha256$");
  }
  stored.remove_prefix(kPrefix.size());
  const auto d1 = stored.find('$');
  const auto d2 = d1 == std::string_view::npos ? d1 : stored.find('$', d1 + 1);
  if (d2 == std::string_view::npos) {
    return fail("password hash must be $pbkdf2-sha256$<iterations>$<salt>$<hash>");
  }
  const auto iterText = stored.substr(0, d1);
  long long iterations = 0;
  if (iterText.empty() || iterText.size() > 9) {
    return fail("password hash has a bad iteration count");
  }
  for (const char c : iterText) {
    if (c < '0' || c > '9') {
      return fail("password hash has a bad iteration count");
    }
    iterations = iterations * 10 + (c - '0');
  }
  if (iterations < kMinPbkdf2Iterations || iterations > kMaxPbkdf2Iterations) {
    return fail("password hash iteration count out of range (10000..10000000)");
  }
  auto salt = base64Decode(stored.substr(d1 + 1, d2 - d1 - 1), false);
  auto hash = base64Decode(stored.substr(d2 + 1), false);
  if (!salt || salt->size() < 8) {
    return fail("password hash has a bad salt");
  }
  if (!hash || hash->size() != kHashBytes) {
    return fail("password hash has a bad hash part");
  }
  return Parsed{static_cast<int>(iterations), std::move(*salt), std::move(*hash)};
}

std::string derive(std::string_view password, const std::string& salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

std::string unpadded(std::string text) {
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  return text;
}

}  // namespace

bool looksLikePasswordHash(std::string_view stored) {
  return stored.substr(0, 1) == "$";
}

std::string checkPasswordHash(std::string_view stored) {
  std::string why;
  return parse(stored, &why) ? std::string() : why;
}

std::string hashPassword(std::string_view password, int iterations) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    throw std::runtime_error("no randomness for a salt");
  }
  return std::string(kPrefix) + std::to_string(iterations) + "$" + unpadded(base64Encode(salt)) +
         "$" + unpadded(base64Encode(derive(password, salt, iterations)));
}

int passwordHashIterations(std::string_view stored) {
  const auto parsed = parse(stored, nullptr);
  return parsed ? parsed->iterations : 0;
}

void spendPbkdf2(int iterations) {
  if (iterations <= 0) {
    return;
  }
  static const std::string salt(kSaltBytes, 's');
  try {
    volatile char sink = derive("chipmunk-dummy", salt, iterations)[0];
    (void)sink;
  } catch (const std::exception&) {
    // Nothing to report: the caller only wanted the time spent.
  }
}

bool verifyPasswordHash(std::string_view password, std::string_view stored) {
  const auto parsed = parse(stored, nullptr);
  if (!parsed) {
    return false;
  }
  try {
    const std::string computed = derive(password, parsed->salt, parsed->iterations);
    return CRYPTO_memcmp(computed.data(), parsed->hash.data(), kHashBytes) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace chipmunk
