// SPDX-License-Identifier: MIT
#include "updater/wg_tool.hpp"

#include <algorithm>

#include "common/base64.hpp"
#include "common/shell.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxPeers = 1000;
constexpr size_t kMaxOutput = 64 * 1024;  // runShell's cap: a dump that fills it was cut
constexpr std::chrono::seconds kWgTimeout{10};

std::vector<std::string> splitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) {
      return out;
    }
    start = tab + 1;
  }
}

std::optional<uint16_t> parsePort(const std::string& text, bool allowZero) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const long value = std::stol(text);
  if (value > 65535 || (value == 0 && !allowZero)) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

// Single-quoted for sh: the words we pass are checked already, this is the second fence.
std::string quote(const std::string& word) {
  std::string out = "'";
  for (const char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string describe(const ShellResult& r) {
  if (!r.started) {
    return "wg did not start: " + r.error;
  }
  if (r.timedOut) {
    return "wg timed out";
  }
  return "wg failed exit=" + std::to_string(r.exitCode);
}

// A peer line: key, preshared key, endpoint, allowed-ips, handshake, rx, tx, keepalive.
bool parsePeer(const std::vector<std::string>& f, WgPeer& peer) {
  if (f.size() != 8 || !isWgKey(f[0])) {
    return false;
  }
  peer.publicKey = f[0];
  if (f[2] != "(none)") {
    peer.endpoint = parseWgEndpoint(f[2]);
  }
  if (f[3] != "(none)") {
    size_t start = 0;
    while (start <= f[3].size()) {
      const size_t comma = std::min(f[3].find(',', start), f[3].size());
      const std::string item = f[3].substr(start, comma - start);
      if (!Cidr::parse(item)) {
        return false;
      }
      peer.allowedIps.push_back(item);
      start = comma + 1;
    }
  }
  return true;
}

}  // namespace

std::string WgEndpoint::toString() const {
  const std::string host = ip.isV6() ? "[" + ip.toString() + "]" : ip.toString();
  return host + ":" + std::to_string(port);
}

bool isWgKey(const std::string& text) {
  if (text.size() != 44) {
    return false;
  }
  const auto raw = base64Decode(text);
  return raw && raw->size() == 32;
}

std::optional<WgEndpoint> parseWgEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || text.size() > 80) {
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    host = host.substr(0, host.find('%'));  // a scope is only ever link-local's
  } else if (host.find(':') != std::string::npos) {
    return std::nullopt;
  }
  const auto ip = IpAddress::parse(host);
  const auto port = parsePort(text.substr(colon + 1), false);
  if (!ip || !port) {
    return std::nullopt;
  }
  return WgEndpoint{*ip, *port};
}

std::optional<WgDump> parseWgDump(const std::string& text, std::string& error) {
  WgDump dump;
  size_t start = 0;
  size_t lineNo = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    const auto fields = splitTabs(line);
    if (line.size() > kMaxLine || lineNo > kMaxPeers + 1) {
      error = "wg dump: line " + std::to_string(lineNo) + " too long, or too many peers";
      return std::nullopt;
    }
    if (lineNo == 1) {
      // private key, public key, listen port, fwmark
      const auto port = fields.size() == 4 ? parsePort(fields[2], true) : std::nullopt;
      if (!port || !isWgKey(fields[1])) {
        error = "wg dump: the interface line is not what wg prints";
        return std::nullopt;
      }
      dump.publicKey = fields[1];
      dump.listenPort = *port;
      continue;
    }
    WgPeer peer;
    if (!parsePeer(fields, peer)) {
      error = "wg dump: line " + std::to_string(lineNo) + " is not a peer line";
      return std::nullopt;
    }
    dump.peers.push_back(std::move(peer));
  }
  if (lineNo == 0) {
    error = "wg dump: empty";
    return std::nullopt;
  }
  return dump;
}

std::optional<WgDump> readWgInterface(const std::string& interface, std::string& error) {
  const auto r = runShell("exec wg show " + quote(interface) + " dump", {}, kWgTimeout, true);
  if (!r.ok()) {
    error = describe(r) + " (wg show " + interface + " dump)";
    return std::nullopt;
  }
  if (r.output.size() >= kMaxOutput) {
    error = "wg show " + interface + " dump: output too large";
    return std::nullopt;
  }
  return parseWgDump(r.output, error);
}

bool setWgPeer(const std::string& interface, const std::string& key, const WgEndpoint& endpoint,
               const std::string& allowedIps, std::string& error) {
  if (!isWgKey(key)) {
    error = "not a WireGuard key";
    return false;
  }
  std::string command = "exec wg set " + quote(interface) + " peer " + quote(key) + " endpoint " +
                        quote(endpoint.toString());
  if (!allowedIps.empty()) {
    command += " allowed-ips " + quote(allowedIps);
  }
  const auto r = runShell(command, {}, kWgTimeout, false);
  if (!r.ok()) {
    error = describe(r);
    return false;
  }
  return true;
}

}  // namespace chipmunk::updater
