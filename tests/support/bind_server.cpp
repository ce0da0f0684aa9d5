// SPDX-License-Identifier: MIT
#include "tests/support/bind_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

namespace chipmunk::test {
namespace {

// A port free for both UDP and TCP on 127.0.0.1 right now (named needs both).
int freeDnsPort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (udp < 0 || ::bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (udp >= 0) {
        ::close(udp);
      }
      continue;
    }
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool tcpFree =
        tcp >= 0 && ::bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (tcp >= 0) {
      ::close(tcp);
    }
    ::close(udp);
    if (tcpFree) {
      return ntohs(addr.sin_port);
    }
  }
  return 0;
}

// ChildProcess uses execv: find the program in PATH, and in the sbin directories that a
// non-root PATH lacks.
std::string program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string path = std::string(env != nullptr ? env : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
  size_t pos = 0;
  while (pos <= path.size()) {
    auto colon = path.find(':', pos);
    if (colon == std::string::npos) {
      colon = path.size();
    }
    const std::string candidate = path.substr(pos, colon - pos) + "/" + name;
    if (!candidate.empty() && candidate[0] == '/' && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    pos = colon + 1;
  }
  return name;
}

}  // namespace

BindServer::BindServer(std::string zone, std::string algorithm, std::string records)
    : zone_(std::move(zone)), algorithm_(std::move(algorithm)), records_(std::move(records)) {}

BindServer::~BindServer() {
  stop();
}

void BindServer::stop() {
  if (named_ && named_->running()) {
    named_->signal(SIGTERM);
    if (named_->wait(std::chrono::seconds(10)) < 0) {
      named_->signal(SIGKILL);
      named_->wait(std::chrono::seconds(5));
    }
  }
  named_.reset();
}

std::string BindServer::log() const {
  return readFile(dir_.file("named.out")) + readFile(dir_.file("named.err")) +
         readFile(dir_.file("keygen.err"));
}

void BindServer::addZone(const std::string& name, const std::string& klass,
                         const std::string& records) {
  extraZones_.push_back({name, klass, records});
}

std::string BindServer::zonesConf() {
  const std::string d = dir_.path();
  std::string in = "zone \"" + zone_ + "\" {\n  type primary;\n  file \"" + d +
                   "/zone.db\";\n  update-policy { grant " + keyName_ + " zonesub A AAAA; };\n};\n";
  std::map<std::string, std::string> byClass{{"IN", in}};
  for (size_t i = 0; i < extraZones_.size(); ++i) {
    const auto& z = extraZones_[i];
    const std::string file = dir_.file("extra" + std::to_string(i) + ".db");
    writeFile(file, "$TTL 300\n@ " + z.klass + " SOA ns." + z.name + ". admin." + z.name +
                        ". 1 3600 600 86400 300\n@ " + z.klass + " NS localhost.\n" + z.records +
                        "\n");
    byClass[z.klass] += "zone \"" + z.name + "\" " + z.klass + " {\n  type primary;\n  file \"" +
                        file + "\";\n};\n";
  }
  if (byClass.size() == 1) {
    return byClass["IN"];
  }
  std::string views;
  for (const auto& [klass, zones] : byClass) {
    views += "view \"" + klass + "\" " + klass + " {\n  match-clients { any; };\n" + zones + "};\n";
  }
  return views;
}

bool BindServer::start() {
  if (runCommand({program("tsig-keygen"), "-a", algorithm_, keyName_}, dir_.file("key.conf"),
                 dir_.file("keygen.err")) != 0) {
    return false;
  }
  const std::string keyConf = readFile(dir_.file("key.conf"));
  std::smatch m;
  if (!std::regex_search(keyConf, m, std::regex("secret \"([^\"]+)\""))) {
    return false;
  }
  keySecret_ = m[1];
  writeFile(dir_.file("zone.db"), "$TTL 300\n@ IN SOA ns." + zone_ + ". admin." + zone_ +
                                      ". 1 3600 600 86400 300\n@ IN NS ns." + zone_ +
                                      ".\nns IN A 127.0.0.1\n" + records_ + "\n");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = freeDnsPort();
    const std::string d = dir_.path();
    writeFile(
        dir_.file("named.conf"),
        "options {\n  directory \"" + d + "\";\n  pid-file \"" + d +
            "/named.pid\";\n  session-keyfile \"" + d +
            "/session.key\";\n  managed-keys-directory \"" + d + "\";\n  listen-on port " +
            std::to_string(port_) + " { 127.0.0.1; };\n  listen-on-v6 " +
            (extraZones_.empty() ? "{ none; }" : "port " + std::to_string(port_) + " { ::1; }") +
            ";\n  recursion no;\n"
            "  dnssec-validation no;\n  notify no;\n  allow-query { 127.0.0.1; ::1; };\n"
            "  querylog yes;\n};\n"
            "controls { };\n" +
            keyConf + zonesConf());
    // Foreground (-g logs to stderr), one worker thread; as root without -u it stays root,
    // which is fine for files in our own temporary directory.
    named_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{program("named"), "-g", "-n", "1", "-c", dir_.file("named.conf")},
        dir_.file("named.out"), dir_.file("named.err"));
    const bool up = waitUntil(
        [&] {
          return !named_->running() ||
                 readFile(dir_.file("named.err")).find("running") != std::string::npos;
        },
        std::chrono::seconds(20));
    if (up && named_->running()) {
      return !dig(zone_, "SOA").empty();
    }
    stop();  // most likely the port was taken meanwhile: try another
  }
  return false;
}

std::string BindServer::dig(const std::string& name, const std::string& type) const {
  const std::string out = dir_.file("dig.out");
  std::remove(out.c_str());  // runCommand appends
  runCommand({program("dig"), "@127.0.0.1", "-p", std::to_string(port_), "+short", "+time=2",
              "+tries=2", name, type},
             out, dir_.file("dig.err"));
  std::istringstream in(readFile(out));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string joined;
  for (const auto& l : lines) {
    joined += (joined.empty() ? "" : " ") + l;
  }
  return joined;
}

bool BindServer::nsupdate(const std::string& commands) const {
  const std::string key = algorithm_ + ":" + keyName_ + ":" + keySecret_;
  return runCommand(
             {program("nsupdate"), "-y", key}, dir_.file("nsupdate.out"), dir_.file("nsupdate.err"),
             "server 127.0.0.1 " + std::to_string(port_) + "\n" + commands + "\nsend\n") == 0;
}

int BindServer::authoritativeQueries(const std::string& name, const std::string& type) const {
  const std::string log = readFile(dir_.file("named.err"));
  const std::string needle = "query: " + name + " IN " + type + " -";
  int count = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

long BindServer::digTtl(const std::string& name, const std::string& type) const {
  const std::string out = dir_.file("dig.out");
  std::remove(out.c_str());  // runCommand appends
  runCommand({program("dig"), "@127.0.0.1", "-p", std::to_string(port_), "+noall", "+answer",
              "+time=2", "+tries=2", name, type},
             out, dir_.file("dig.err"));
  std::istringstream in(readFile(out));
  std::string owner;
  long ttl = -1;
  if (in >> owner >> ttl) {
    return ttl;
  }
  return -1;
}

}  // namespace chipmunk::test
