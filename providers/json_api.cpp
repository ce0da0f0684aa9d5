// SPDX-License-Identifier: MIT
#include "providers/json_api.hpp"

#include <rapidjson/pointer.h>

#include <stdexcept>
#include <vector>

#include "common/json.hpp"
#include "config/settings.hpp"

namespace chipmunk::providers {

std::string endpointSetting(const ProviderContext& context, const std::string& fallback) {
  std::string endpoint = context.get("endpoint").empty() ? fallback : context.get("endpoint");
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.pop_back();
  }
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    throw std::invalid_argument("[" + context.section +
                                "] endpoint must be an http:// or https:// URL");
  }
  return endpoint;
}

const std::string& requiredSetting(const ProviderContext& context, const std::string& key) {
  const std::string& value = context.get(key);
  if (value.empty()) {
    throw std::invalid_argument("[" + context.section + "] " + key + " is required");
  }
  return value;
}

long long ttlSetting(const ProviderContext& context) {
  long long ttl = 0;
  config::parseSeconds(context.get("ttl").empty() ? "0" : context.get("ttl"), ttl);
  return ttl;
}

HttpRequest jsonRequest(const std::string& method, std::string url, const std::string& authName,
                        std::string authValue, std::string body) {
  HttpRequest req;
  req.method = method;
  req.url = std::move(url);
  req.headers.emplace_back(authName, std::move(authValue));
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(body);
  }
  return req;
}

UpdateResult classifyJsonFailure(const HttpResponse& response, const std::string& what,
                                 const JsonRefine& refine) {
  UpdateResult result = classifyHttpFailure(response, what);
  if (!response.transportOk()) {
    return result;
  }
  rapidjson::Document doc;
  std::string error;
  if (json::parse(doc, response.body, error)) {
    refine(doc, result);
  }
  return result;
}

void appendReason(UpdateResult& result, const std::string& reason) {
  if (!reason.empty()) {
    result.detail += " (" + reason.substr(0, 200) + ")";
  }
}

UpdateResult classifyJsonMessage(const HttpResponse& response, const std::string& what,
                                 std::initializer_list<const char*> pointers) {
  const std::vector<const char*> paths(pointers);
  return classifyJsonFailure(response, what,
                             [&paths](const rapidjson::Document& doc, UpdateResult& result) {
                               if (!doc.IsObject()) {
                                 return;
                               }
                               for (const char* path : paths) {
                                 const rapidjson::Value* m = rapidjson::Pointer(path).Get(doc);
                                 if (m != nullptr && m->IsString() && m->GetStringLength() > 0) {
                                   appendReason(result, m->GetString());
                                   return;
                                 }
                               }
                             });
}

}  // namespace chipmunk::providers
