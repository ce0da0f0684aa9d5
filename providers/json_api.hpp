// SPDX-License-Identifier: MIT
#pragma once

// What the JSON REST providers (desec, digitalocean, gandi, godaddy, hetzner, ionos, porkbun,
// vultr) share: their `endpoint` and `ttl` settings, and the first step of classifying an
// error reply. Each provider keeps what is its own: auth header, paging, ids, error codes.

#include <rapidjson/document.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace chipmunk::providers {

// The ProviderInfo of provider class P (constructed from a ProviderContext): its name,
// description, documentation and settings (or the caller adds them); marked httpApi.
template <typename P>
ProviderInfo providerOf(std::string name, std::string description, std::string documentation,
                        std::vector<config::SettingSpec> settings = {}) {
  ProviderInfo info;
  info.settings = std::move(settings);
  info.name = std::move(name);
  info.description = std::move(description);
  info.documentation = std::move(documentation);
  info.httpApi = true;
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<P>(context);
  };
  return info;
}

// The `endpoint` setting without trailing slashes (empty: `fallback`); throws
// std::invalid_argument ("[section] endpoint must be an http:// or https:// URL") when it is
// not one.
std::string endpointSetting(const ProviderContext& context, const std::string& fallback = "");

// The setting `key`; throws std::invalid_argument ("[section] key is required") when empty.
const std::string& requiredSetting(const ProviderContext& context, const std::string& key);

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

// Appends " (reason)" to `result`'s detail, the reason cut at 200 bytes; nothing when empty.
void appendReason(UpdateResult& result, const std::string& reason);

// classifyJsonFailure for a service whose error body carries its message as a string at one
// of `pointers` (JSON pointers, first non-empty wins: {"/message", "/error/message"}).
UpdateResult classifyJsonMessage(const HttpResponse& response, const std::string& what,
                                 std::initializer_list<const char*> pointers);

}  // namespace chipmunk::providers
