// SPDX-License-Identifier: MIT
// Digests and AWS Signature Version 4; see signing.hpp.
#include "providers/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/shared_library.hpp"
#include "common/strings.hpp"

namespace chipmunk::providers {
namespace {

// libcrypto is opened on first use, like libcurl and libldns (common/shared_library.hpp):
// chipmunk-updater maps it only when a signed provider (route53, ovh) runs.
struct Crypto {
  decltype(&::EVP_Digest) digest = nullptr;
  decltype(&::EVP_sha1) sha1 = nullptr;
  decltype(&::EVP_sha256) sha256 = nullptr;
  decltype(&::HMAC) hmac = nullptr;
};

const Crypto& crypto() {
  static const Crypto api = [] {
    Crypto c;
    SharedLibrary library({"libcrypto.so.3"});
    library.bind(c.digest, "EVP_Digest");
    library.bind(c.sha1, "EVP_sha1");
    library.bind(c.sha256, "EVP_sha256");
    library.bind(c.hmac, "HMAC");
    if (!library.complete()) {
      throw std::runtime_error("libcrypto (Debian: libssl3): " + library.error());
    }
    return c;
  }();
  return api;
}

std::string digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (crypto().digest(data.data(), data.size(), out, &length, md, nullptr) != 1) {
    throw std::runtime_error("digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string trimmed(const std::string& value) {
  const size_t first = value.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return {};
  }
  // Sequential spaces inside a value become one, as the canonical form asks.
  std::string out;
  for (size_t i = first, last = value.find_last_not_of(" \t"); i <= last; ++i) {
    if (value[i] != ' ' || out.back() != ' ') {
      out += value[i];
    }
  }
  return out;
}

}  // namespace

std::string sha1Hex(const std::string& data) {
  return hexOf(digest(crypto().sha1(), data));
}

std::string sha256Hex(const std::string& data) {
  return hexOf(digest(crypto().sha256(), data));
}

std::string hmacSha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (crypto().hmac(crypto().sha256(), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                    &length) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string amzDate(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonicalQuery(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t pos = 0; pos < query.size();) {
    const size_t amp = std::min(query.find('&', pos), query.size());
    const std::string item = query.substr(pos, amp - pos);
    const size_t eq = item.find('=');
    pairs.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    pos = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    out += (out.empty() ? "" : "&") + key + "=" + value;
  }
  return out;
}

std::string sigV4CanonicalRequest(const std::string& method, const std::string& path,
                                  const std::string& query,
                                  const std::map<std::string, std::string>& headers,
                                  const std::string& payload, std::string& signedHeaders) {
  std::string canonicalHeaders;
  signedHeaders.clear();
  for (const auto& [name, value] : headers) {  // std::map: sorted by (lower-case) name
    canonicalHeaders += name + ":" + trimmed(value) + "\n";
    signedHeaders += (signedHeaders.empty() ? "" : ";") + name;
  }
  return method + "\n" + (path.empty() ? "/" : path) + "\n" + canonicalQuery(query) + "\n" +
         canonicalHeaders + "\n" + signedHeaders + "\n" + sha256Hex(payload);
}

std::string sigV4SigningKey(const std::string& secret, const std::string& day,
                            const AwsScope& scope) {
  std::string key = hmacSha256("AWS4" + secret, day);
  key = hmacSha256(key, scope.region);
  key = hmacSha256(key, scope.service);
  return hmacSha256(key, "aws4_request");
}

std::string sigV4Signature(const std::string& secret, const std::string& date,
                           const AwsScope& scope, const std::string& canonicalRequest) {
  const std::string day = date.substr(0, 8);
  const std::string credentialScope =
      day + "/" + scope.region + "/" + scope.service + "/aws4_request";
  const std::string stringToSign =
      "AWS4-HMAC-SHA256\n" + date + "\n" + credentialScope + "\n" + sha256Hex(canonicalRequest);
  return hexOf(hmacSha256(sigV4SigningKey(secret, day, scope), stringToSign));
}

void signSigV4(HttpRequest& request, const AwsCredentials& credentials, const AwsScope& scope,
               std::chrono::system_clock::time_point when) {
  const std::string& url = request.url;
  const size_t authorityStart = url.find("://");
  const size_t start = authorityStart == std::string::npos ? 0 : authorityStart + 3;
  const size_t pathStart = std::min(url.find_first_of("/?", start), url.size());
  const size_t queryStart = std::min(url.find('?', pathStart), url.size());
  const std::string date = amzDate(when);
  request.headers.emplace_back("X-Amz-Date", date);
  if (!credentials.sessionToken.empty()) {
    request.headers.emplace_back("X-Amz-Security-Token", credentials.sessionToken);
  }
  std::map<std::string, std::string> headers = {{"host", url.substr(start, pathStart - start)}};
  for (const auto& [name, value] : request.headers) {
    headers[lowercase(name)] = value;
  }
  std::string signedHeaders;
  const std::string canonical =
      sigV4CanonicalRequest(request.method, url.substr(pathStart, queryStart - pathStart),
                            queryStart < url.size() ? url.substr(queryStart + 1) : "", headers,
                            request.body, signedHeaders);
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId + "/" + date.substr(0, 8) + "/" +
          scope.region + "/" + scope.service + "/aws4_request, SignedHeaders=" + signedHeaders +
          ", Signature=" + sigV4Signature(credentials.secretAccessKey, date, scope, canonical));
}

}  // namespace chipmunk::providers
