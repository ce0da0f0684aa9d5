// SPDX-License-Identifier: MIT
#pragma once

// What the JSON REST providers (desec, digitalocean, gandi, godaddy, hetzner, ionos, porkbun,
// vultr) share: their `endpoint` and `ttl` settings, and the first step of classifying an
// error reply. Each provider keeps what is its own: auth header, paging, ids, error codes.

#include <rapidjson/document.h>

#include <functional>
#include <string>

#include "providers/provider.hpp"

namespace chipmunk::providers {

// The `endpoint` setting without trailing slashes; throws std::invalid_argument
// ("[section] endpoint must be an http:// or https:// URL") when it is not one.
std::string endpointSetting(const ProviderContext& context);

// The `ttl` setting in seconds; empty or 0: keep the record's (0).
long long ttlSetting(const ProviderContext& context);

// `method` on `url` with the header `authName: authValue` (the provider's own auth scheme),
// Accept: application/json and, when `body` is not empty, it as Content-Type:
// application/json.
HttpRequest jsonRequest(const std::string& method, std::string url, const std::string& authName,
                        std::string authValue, std::string body);

// classifyHttpFailure(response, what); then, when the exchange completed and its body parses
// as JSON (json::parse, bounded), `refine` may adjust the result from the document: append
// the service's message to the detail, map an error code to AuthFailed or NotFound.
using JsonRefine = std::function<void(const rapidjson::Document& doc, UpdateResult& result)>;
UpdateResult classifyJsonFailure(const HttpResponse& response, const std::string& what,
                                 const JsonRefine& refine);

}  // namespace chipmunk::providers
