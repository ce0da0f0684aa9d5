// SPDX-License-Identifier: MIT
#include "updater/mesh_records.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "common/json.hpp"
#include "providers/http/url.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxRecordsPerPage = 10000;
constexpr size_t kMaxCursor = 512;

std::string text(const rapidjson::Value& object, const char* key, size_t maxSize = 256) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() > maxSize) {
    return {};
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

uint16_t port(const std::string& value) {
  if (value.empty() || value.size() > 5 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  const long p = std::stol(value);
  return p <= 65535 ? static_cast<uint16_t>(p) : 0;
}

std::optional<IpAddress> address(const std::string& value, bool v6) {
  const auto ip = IpAddress::parse(value);
  if (!ip || ip->isV6() != v6 || !ip->isHostAddress()) {
    return std::nullopt;
  }
  return ip;
}

bool isMac(const std::string& value) {
  bool ok = value.size() == 17;
  for (size_t i = 0; ok && i < value.size(); ++i) {
    ok = i % 3 == 2 ? value[i] == ':' : std::isxdigit(static_cast<unsigned char>(value[i])) != 0;
  }
  return ok;
}

MeshRecord readRecord(const rapidjson::Value& r) {
  MeshRecord out;
  out.name = text(r, "name");
  out.ipv4 = address(text(r, "ipv4"), false);
  out.ipv6 = address(text(r, "ipv6"), true);
  const auto expired = r.FindMember("expired");
  out.expired = expired != r.MemberEnd() && (!expired->value.IsBool() || expired->value.GetBool());
  const auto meta = r.FindMember("metadata");
  if (meta == r.MemberEnd() || !meta->value.IsObject()) {
    return out;
  }
  const auto& m = meta->value;
  out.publicKey = isWgKey(text(m, "wg_public_key")) ? text(m, "wg_public_key") : "";
  out.listenPort = port(text(m, "wg_listen_port"));
  out.publicPort = port(text(m, "wg_public_port"));
  out.wgAddress = text(m, "wg_address");
  const auto lan = IpAddress::parse(text(m, "lan_ip"));
  if (lan && lan->isHostAddress()) {
    out.lanIp = lan;
  }
  out.gatewayMac = text(m, "gateway_mac");
  std::transform(out.gatewayMac.begin(), out.gatewayMac.end(), out.gatewayMac.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!isMac(out.gatewayMac)) {
    out.gatewayMac.clear();
  }
  return out;
}

}  // namespace

bool parseHostsPage(const std::string& body, HostsPage& page, std::string& error) {
  rapidjson::Document doc;
  if (!json::parse(doc, body, error)) {
    return false;
  }
  const auto hosts = doc.IsObject() ? doc.FindMember("hosts") : rapidjson::Value::MemberIterator();
  if (!doc.IsObject() || hosts == doc.MemberEnd() || !hosts->value.IsArray() ||
      hosts->value.Size() > kMaxRecordsPerPage) {
    error = "not a /hosts page";
    return false;
  }
  page = HostsPage();
  for (const auto& r : hosts->value.GetArray()) {
    if (r.IsObject()) {
      page.records.push_back(readRecord(r));
    }
  }
  page.next = text(doc, "next", kMaxCursor);
  page.version = text(doc, "version", kMaxCursor);
  return true;
}

std::optional<WgEndpoint> chooseEndpoint(const MeshSelf& self, const MeshRecord& peer) {
  if (peer.expired || peer.listenPort == 0) {
    return std::nullopt;
  }
  const auto& gw = self.gateway;
  if (gw && !gw->mac.empty() && gw->lanIp && peer.gatewayMac == gw->mac && peer.lanIp &&
      sameLan(*gw->lanIp, gw->lanPrefix, *peer.lanIp)) {
    return WgEndpoint{*peer.lanIp, peer.listenPort};
  }
  const uint16_t p = peer.publicPort != 0 ? peer.publicPort : peer.listenPort;
  const bool v6 = self.hasIPv6 && peer.ipv6 && (self.preferIPv6 || !peer.ipv4);
  if (v6) {
    return WgEndpoint{*peer.ipv6, p};
  }
  if (peer.ipv4) {
    return WgEndpoint{*peer.ipv4, p};
  }
  return std::nullopt;
}

std::string encodeQuery(const PublishFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    out += (out.empty() ? "" : "&") + key + "=" + providers::urlEncode(value);
  }
  return out;
}

}  // namespace chipmunk::updater
