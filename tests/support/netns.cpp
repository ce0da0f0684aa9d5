// SPDX-License-Identifier: MIT
#include "tests/support/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/strings.hpp"

namespace chipmunk::test {

namespace {

uint16_t icmpChecksum(const unsigned char* data, size_t size) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < size; i += 2) {
    sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (size % 2 != 0) {
    sum += static_cast<uint32_t>(data[size - 1] << 8);
  }
  while (sum >> 16 != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

// Waits up to `wait` for an echo reply with `id` from `from` on the raw ICMP socket.
bool awaitEchoReply(int fd, in_addr_t from, uint16_t id, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (auto now = std::chrono::steady_clock::now(); now < deadline;
       now = std::chrono::steady_clock::now()) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) {
      continue;
    }
    unsigned char buf[1500];
    sockaddr_in src{};
    socklen_t len = sizeof(src);
    const ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&src), &len);
    if (n < 20 || src.sin_addr.s_addr != from) {
      continue;
    }
    const size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
    if (static_cast<size_t>(n) < ihl + 8) {
      continue;
    }
    const unsigned char* icmp = buf + ihl;
    const uint16_t replyId = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
    if (icmp[0] == ICMP_ECHOREPLY && replyId == id) {
      return true;
    }
  }
  return false;
}

bool icmpEcho(const std::string& dst, std::chrono::milliseconds timeout) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  if (::inet_pton(AF_INET, dst.c_str(), &to.sin_addr) != 1) {
    throw std::runtime_error("ping: not an IPv4 address: " + dst);
  }
  const int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    throw std::runtime_error("ping: cannot open a raw ICMP socket");
  }
  const auto id =
      static_cast<uint16_t>(::getpid() ^ std::hash<std::thread::id>()(std::this_thread::get_id()));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool replied = false;
  for (uint16_t seq = 1; !replied && std::chrono::steady_clock::now() < deadline; ++seq) {
    unsigned char packet[24] = {ICMP_ECHO,
                                0,
                                0,
                                0,
                                static_cast<unsigned char>(id >> 8),
                                static_cast<unsigned char>(id & 0xff),
                                static_cast<unsigned char>(seq >> 8),
                                static_cast<unsigned char>(seq & 0xff)};
    const uint16_t sum = icmpChecksum(packet, sizeof(packet));
    packet[2] = static_cast<unsigned char>(sum >> 8);
    packet[3] = static_cast<unsigned char>(sum & 0xff);
    ::sendto(fd, packet, sizeof(packet), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
    replied = awaitEchoReply(fd, to.sin_addr.s_addr, id, std::chrono::milliseconds(200));
  }
  ::close(fd);
  return replied;
}

}  // namespace

std::string findProgram(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string path = std::string(env != nullptr ? env : "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find(':', start), path.size());
    const std::string candidate = path.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

std::string netnsSkipReason(bool wireguard) {
  if (::geteuid() != 0) {
    return "needs root (network namespaces)";
  }
  std::vector<std::string> programs{"ip", "nft"};
  if (wireguard) {
    programs.insert(programs.end(), {"wg", "wireguard-go"});
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
      return "/dev/net/tun is missing (wireguard-go needs it)";
    }
  }
  for (const auto& p : programs) {
    if (findProgram(p).empty()) {
      return p + " is not installed (scripts/install-deps.sh --tests installs it)";
    }
  }
  TempDir dir;
  const std::string probe = "cmkprobe" + std::to_string(::getpid());
  const std::string ip = findProgram("ip");
  if (runCommand({ip, "netns", "add", probe}, dir.file("o"), dir.file("e")) != 0) {
    return "`ip netns add` failed: " + std::string(trimAscii(readFile(dir.file("e"))));
  }
  runCommand({ip, "netns", "del", probe}, dir.file("o"), dir.file("e"));
  return {};
}

NetLab::NetLab(const std::string& prefix)
    : base_(prefix + std::to_string(::getpid())), ipBin_(findProgram("ip")) {
  removeLeftovers(prefix);
}

// A run that was killed (ctest's timeout) leaves its namespaces and the processes in them:
// those of runs whose PID is gone are stopped (by the PIDs `ip netns pids` lists) and
// deleted.
void NetLab::removeLeftovers(const std::string& prefix) {
  runCommand({ipBin_, "netns", "list"}, dir_.file("list.out"), dir_.file("list.err"));
  std::istringstream lines(readFile(dir_.file("list.out")));
  std::string line;
  for (int n = 0; n < 1000 && std::getline(lines, line); ++n) {
    const std::string name = line.substr(0, line.find(' '));
    const size_t dash = name.find('-');
    const std::string pid = name.substr(std::min(prefix.size(), name.size()),
                                        dash == std::string::npos ? 0 : dash - prefix.size());
    if (name.rfind(prefix, 0) != 0 || dash == std::string::npos || pid.empty() ||
        pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9 ||
        ::kill(std::stoi(pid), 0) == 0) {
      continue;
    }
    runCommand({ipBin_, "netns", "pids", name}, dir_.file("pids.out"), dir_.file("pids.err"));
    std::istringstream pids(readFile(dir_.file("pids.out")));
    for (long p = 0; pids >> p;) {
      if (p > 1) {
        ::kill(static_cast<pid_t>(p), SIGKILL);
      }
    }
    runCommand({ipBin_, "netns", "del", name}, dir_.file("o"), dir_.file("e"));
  }
}

NetLab::~NetLab() {
  for (auto& p : processes_) {
    p->signal(SIGTERM);
  }
  for (auto& p : processes_) {
    p->wait(std::chrono::seconds(5));
  }
  processes_.clear();  // SIGKILL and reap what is left
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    runCommand({ipBin_, "netns", "del", *it}, dir_.file("teardown.out"), dir_.file("teardown.err"));
  }
}

std::string NetLab::ns(const std::string& shortName) const {
  return base_ + "-" + shortName;
}

std::string NetLab::uniqueIfName(const std::string& shortName) const {
  const std::string name = base_ + shortName;
  if (name.size() > 15) {
    throw std::runtime_error("interface name too long: " + name);
  }
  return name;
}

void NetLab::addNamespace(const std::string& shortName) {
  const std::string name = ns(shortName);
  runCommand({ipBin_, "netns", "del", name}, dir_.file("o"), dir_.file("e"));  // a leftover
  if (runCommand({ipBin_, "netns", "add", name}, dir_.file("o"), dir_.file("e")) != 0) {
    throw std::runtime_error("ip netns add " + name + ": " + readFile(dir_.file("e")));
  }
  namespaces_.push_back(name);
  ip(shortName, {"link", "set", "lo", "up"});
}

void NetLab::ip(const std::string& nsName, const std::vector<std::string>& args) {
  std::vector<std::string> argv{ipBin_, "-n", ns(nsName)};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string err = dir_.file("ip.err");
  writeFile(err, "");
  if (runCommand(argv, dir_.file("ip.out"), err) != 0) {
    std::string text;
    for (const auto& a : argv) {
      text += a + " ";
    }
    throw std::runtime_error(text + "failed: " + readFile(err));
  }
}

void NetLab::addVeth(const std::string& a, const std::string& ifA, const std::string& b,
                     const std::string& ifB) {
  const std::string err = dir_.file("veth.err");
  if (runCommand({ipBin_, "link", "add", "name", ifA, "netns", ns(a), "type", "veth", "peer",
                  "name", ifB, "netns", ns(b)},
                 dir_.file("veth.out"), err) != 0) {
    throw std::runtime_error("veth " + a + ":" + ifA + " - " + b + ":" + ifB + ": " +
                             readFile(err));
  }
  ip(a, {"link", "set", ifA, "up"});
  ip(b, {"link", "set", ifB, "up"});
}

void NetLab::addBridge(const std::string& nsName, const std::string& bridge,
                       const std::vector<std::string>& ports) {
  ip(nsName, {"link", "add", bridge, "type", "bridge"});
  for (const auto& port : ports) {
    ip(nsName, {"link", "set", port, "master", bridge});
  }
  ip(nsName, {"link", "set", bridge, "up"});
}

void NetLab::addAddress(const std::string& nsName, const std::string& ifName,
                        const std::string& cidr) {
  ip(nsName, {"addr", "add", cidr, "dev", ifName});
}

void NetLab::delAddress(const std::string& nsName, const std::string& ifName,
                        const std::string& cidr) {
  ip(nsName, {"addr", "del", cidr, "dev", ifName});
}

void NetLab::setDefaultRoute(const std::string& nsName, const std::string& via) {
  ip(nsName, {"route", "replace", "default", "via", via});
}

void NetLab::masquerade(const std::string& nsName, const std::string& wanIf) {
  check(nsName, {findProgram("sysctl"), "-qw", "net.ipv4.ip_forward=1"});
  check(nsName, {findProgram("nft"),
                 "add table ip nat ; "
                 "add chain ip nat post { type nat hook postrouting "
                 "priority srcnat ; } ; "
                 "add chain ip nat pre { type nat hook prerouting "
                 "priority dstnat ; } ; "
                 "add rule ip nat post oifname \"" +
                     wanIf + "\" masquerade"});
}

void NetLab::forwardUdp(const std::string& nsName, const std::string& wanIf, int port,
                        const std::string& toIp, int toPort) {
  check(nsName, {findProgram("nft"), "add rule ip nat pre iifname \"" + wanIf + "\" udp dport " +
                                         std::to_string(port) + " dnat to " + toIp + ":" +
                                         std::to_string(toPort)});
}

std::string NetLab::macAddress(const std::string& nsName, const std::string& ifName) {
  return std::string(
      trimAscii(check(nsName, {findProgram("cat"), "/sys/class/net/" + ifName + "/address"})));
}

int NetLab::run(const std::string& nsName, const std::vector<std::string>& argv, std::string* out,
                std::chrono::milliseconds timeout) {
  std::vector<std::string> full{ipBin_, "netns", "exec", ns(nsName)};
  full.insert(full.end(), argv.begin(), argv.end());
  const std::string outPath = dir_.file("run.out");
  writeFile(outPath, "");
  writeFile(dir_.file("run.err"), "");
  const int rc = runCommand(full, outPath, dir_.file("run.err"), {}, timeout);
  if (out != nullptr) {
    *out = readFile(outPath);
  }
  return rc;
}

std::string NetLab::check(const std::string& nsName, const std::vector<std::string>& argv) {
  std::string out;
  const int rc = run(nsName, argv, &out);
  if (rc != 0) {
    std::string text;
    for (const auto& a : argv) {
      text += a + " ";
    }
    throw std::runtime_error("in " + ns(nsName) + ": " + text + "exited " + std::to_string(rc) +
                             ": " + out + readFile(dir_.file("run.err")));
  }
  return out;
}

ChildProcess& NetLab::spawn(const std::string& nsName, const std::vector<std::string>& argv,
                            const std::string& logName) {
  std::vector<std::string> full{ipBin_, "netns", "exec", ns(nsName)};
  full.insert(full.end(), argv.begin(), argv.end());
  processes_.push_back(std::make_unique<ChildProcess>(full, dir_.file(logName + ".out"),
                                                      dir_.file(logName + ".err")));
  return *processes_.back();
}

std::string NetLab::logOf(const std::string& logName) const {
  return readFile(dir_.file(logName + ".out")) + readFile(dir_.file(logName + ".err"));
}

void inNetworkNamespace(const std::string& name, const std::function<void()>& body) {
  std::exception_ptr failure;
  const std::string path = "/var/run/netns/" + name;
  std::thread worker([&] {
    try {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        if (fd >= 0) {
          ::close(fd);
        }
        throw std::runtime_error("cannot join network namespace " + path);
      }
      ::close(fd);
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

void NetLab::inNamespace(const std::string& nsName, const std::function<void()>& f) const {
  inNetworkNamespace(ns(nsName), f);
}

bool NetLab::ping(const std::string& nsName, const std::string& dst,
                  std::chrono::milliseconds timeout) const {
  bool replied = false;
  inNamespace(nsName, [&] { replied = icmpEcho(dst, timeout); });
  return replied;
}

}  // namespace chipmunk::test
