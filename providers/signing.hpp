// SPDX-License-Identifier: MIT
#pragma once

// Request signing for the providers whose APIs sign each request instead of sending a token:
// the digests (OpenSSL) and AWS Signature Version 4 (route53.cpp), written from
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4.html
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// and checked against AWS's published examples (tests/providers/signing_test.cpp). OVHcloud's
// "$1$" signature (ovh.cpp) is sha1Hex() of its own text.

#include <chrono>
#include <map>
#include <string>

#include "providers/http/client.hpp"

namespace chipmunk::providers {

// Lower-case hex of SHA-1 / SHA-256 of `data`.
std::string sha1Hex(const std::string& data);
std::string sha256Hex(const std::string& data);
// HMAC-SHA256 of `data` under `key`, raw (32 bytes).
std::string hmacSha256(const std::string& key, const std::string& data);

struct AwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // temporary credentials only; empty otherwise
};

// Where a signature is valid: the region and service of the credential scope.
struct AwsScope {
  std::string region;   // "us-east-1" (Route 53 is global and signs with it)
  std::string service;  // "route53"
};

// "20150830T123600Z": the X-Amz-Date of `when` (UTC).
std::string amzDate(std::chrono::system_clock::time_point when);

// The canonical query string: the `&`-separated `key=value` pairs of `query` (already
// percent-encoded as RFC 3986 unreserved-only, as urlEncode() writes them) sorted by key,
// then value. "" stays "".
std::string canonicalQuery(const std::string& query);

// The canonical request of SigV4 step 1: METHOD, path, canonical query, the headers
// (lower-case name -> value, trimmed here) each as "name:value\n", the signed header names
// joined by ';', and the hex SHA-256 of `payload`. `signedHeaders` gets that joined list.
std::string sigV4CanonicalRequest(const std::string& method, const std::string& path,
                                  const std::string& query,
                                  const std::map<std::string, std::string>& headers,
                                  const std::string& payload, std::string& signedHeaders);

// Step 3, the signing key: HMAC-SHA256 chained over "AWS4" + secret, day ("20150830"),
// region, service and "aws4_request"; raw bytes.
std::string sigV4SigningKey(const std::string& secret, const std::string& day,
                            const AwsScope& scope);

// Steps 2 to 4: the hex signature of `canonicalRequest` made at `date` (amzDate form) with
// `secret` in `scope`.
std::string sigV4Signature(const std::string& secret, const std::string& date,
                           const AwsScope& scope, const std::string& canonicalRequest);

// Signs `request` (its url http(s)://authority/path?query, its headers and body) at `when`:
// adds X-Amz-Date, X-Amz-Security-Token (temporary credentials) and the Authorization header.
// Signs Host (the authority as written in the url, as the transports send it) and every header
// the request already carries.
void signSigV4(HttpRequest& request, const AwsCredentials& credentials, const AwsScope& scope,
               std::chrono::system_clock::time_point when);

}  // namespace chipmunk::providers
