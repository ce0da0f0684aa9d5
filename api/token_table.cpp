// SPDX-License-Identifier: MIT
#include "api/token_table.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <unordered_set>

#include "api/directory_cache.hpp"

namespace chipmunk::api {
namespace {

bool fromHex(const std::string& text, std::array<unsigned char, 32>& out) {
  if (text.size() != 64) {
    return false;
  }
  auto value = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = value(text[2 * i]);
    const int lo = value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

void TokenTable::makeDummy() {
  // A digest nobody's secret hashes to, for unknown ids.
  if (RAND_bytes(dummy_.digest.data(), static_cast<int>(dummy_.digest.size())) != 1) {
    throw std::runtime_error("no randomness for the token table");
  }
}

std::optional<TokenTable::Entry> TokenTable::entryOf(const DirectoryToken& t, const IsUser& isUser,
                                                     const HostOwner& hostOwner) {
  Entry e;
  e.owner = t.owner;
  if (isUser(t.owner)) {
    e.grant = {t.owner, t.hosts};
  } else if (std::string owner = hostOwner(t.owner); !owner.empty()) {
    e.grant = {std::move(owner), {t.owner}};  // a host token updates that host only
  } else {
    return std::nullopt;  // its owner is gone
  }
  if (!fromHex(t.digest, e.digest)) {
    return std::nullopt;
  }
  return e;
}

TokenTable::TokenTable(std::shared_ptr<DirectoryCache> directory, const config::ApiConfig& config)
    : directory_(std::move(directory)), ownership_(config.ownership) {
  makeDummy();
}

bool TokenTable::needsLookup(const std::string& password) const {
  if (!directory_) {
    return false;
  }
  const auto token = parseToken(password);
  return token && byId_.count(token->id) == 0 && !directory_->tokenCached(token->id);
}

TokenTable::TokenTable(const std::vector<DirectoryToken>& tokens, const config::ApiConfig& config) {
  makeDummy();
  // Who is a user: the configuration's ownership index (a merged one has it), else a set
  // built here (a configuration assembled by hand; a million names are not copied for it).
  std::unordered_set<std::string> users;
  if (!tokens.empty() && !config.ownership) {
    users.reserve(config.users.size());
    for (const auto& u : config.users) {
      users.insert(u.name);
    }
  }
  const auto isUser = [&](const std::string& name) {
    return config.ownership ? config.ownership->isUser(name) : users.count(name) != 0;
  };
  const auto hostOwner = [&](const std::string& name) {
    const auto host = config.hostOwners.find(name);
    return host == config.hostOwners.end() ? std::string() : host->second;
  };
  for (const auto& t : tokens) {
    if (auto e = entryOf(t, isUser, hostOwner)) {
      byId_.emplace(t.id, std::move(*e));
    }
  }
}

std::optional<TokenGrant> TokenTable::verify(const std::string& name,
                                             const std::string& password) const {
  const auto token = parseToken(password);
  if (!token) {
    return std::nullopt;  // not shaped like a token: the format is public, no work to hide
  }
  const auto it = byId_.find(token->id);
  bool known = it != byId_.end();
  std::optional<Entry> looked;
  if (!known && directory_) {
    // The same query for a known id and an unknown one; the owner's questions only for a
    // token that exists (they are about its owner, not about the presented text).
    if (const auto t = directory_->token(token->id)) {
      looked = entryOf(
          *t, [&](const std::string& n) { return ownership_ && ownership_->isUser(n); },
          [&](const std::string& n) {
            return ownership_ ? ownership_->ownerOf(n) : std::string();
          });
      known = looked.has_value();
    }
  }
  const Entry& entry = looked ? *looked : known ? it->second : dummy_;
  Digest presented{};
  unsigned int len = 0;
  ++secretsHashed_;
  if (EVP_Digest(token->secret.data(), token->secret.size(), presented.data(), &len, EVP_sha256(),
                 nullptr) != 1) {
    return std::nullopt;
  }
  const bool match = CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0;
  if (!known || !match || (name != entry.owner && name != entry.grant.user)) {
    return std::nullopt;
  }
  return entry.grant;
}

}  // namespace chipmunk::api
