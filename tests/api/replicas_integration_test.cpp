// SPDX-License-Identifier: MIT
// Two real chipmunk-api replicas behind a real nginx, sharing one real PostgreSQL: a change
// is visible on both at once, and its hook and gateway push run exactly once across them,
// also when one replica is killed (-9) mid-storm and restarted.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/api_instance.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

constexpr int kHosts = 4;

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// A loopback port nobody listens on right now (nginx takes it; a lost race fails start).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The hook: one line per run in runs.txt, and one line per event id in events.txt (the
// documented way for a hook to never act twice: remember CHIPMUNK_EVENT_ID).
std::string writeHook(const TempDir& dir) {
  const std::string path = dir.file("hook.sh");
  std::ofstream(path) << "#!/bin/sh\n"
                      << "line=\"$CHIPMUNK_EVENT_ID $CHIPMUNK_HOST $CHIPMUNK_NEW_IP\"\n"
                      << "echo \"$line\" >> " << dir.file("runs.txt") << "\n"
                      << "exec 9>>" << dir.file("events.lock") << "\nflock 9\n"
                      << "grep -q \"^$CHIPMUNK_EVENT_ID \" " << dir.file("events.txt")
                      << " 2>/dev/null || echo \"$line\" >> " << dir.file("events.txt") << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string replicaConfig(const PostgresServer& pg, const FakeLinode& linode,
                          const std::string& hook, const std::string& extra) {
  std::ostringstream c;
  c << "[Store]\nbackend = postgresql\npostgresql = " << pg.conninfo() << "\n"
    << "[Users]\nalice = secret\n[Hosts]\n";
  for (int h = 0; h < kHosts; ++h) {
    c << "h" << h << ".example.com = alice\n";
  }
  c << extra << "[Hooks]\non_change = " << hook << "\non_expire = " << hook << "\ntimeout = 10s\n"
    << "[Push]\nretry_min = 1s\nretry_max = 2s\ntimeout = 5s\n"
    << "[linode]\napi_key = test-token\nendpoint = " << linode.endpoint() << "\n";
  for (int h = 0; h < kHosts; ++h) {
    c << "[push:h" << h << "]\nrecord = h" << h << ".example.com\nprovider = linode\nhost = h" << h
      << "\ndomain = example.com\n";
  }
  return c.str();
}

std::unique_ptr<ChildProcess> startNginx(const TempDir& dir, int port, int a, int b) {
  ::mkdir(dir.file("nginx").c_str(), 0755);
  std::ofstream(dir.file("nginx.conf"))
      << "daemon off;\nmaster_process on;\nworker_processes 1;\npid " << dir.file("nginx.pid")
      << ";\nerror_log " << dir.file("nginx-error.log") << " info;\n"
      << "events { worker_connections 256; }\nhttp {\n access_log off;\n"
      << " client_body_temp_path " << dir.file("nginx/body") << ";\n proxy_temp_path "
      << dir.file("nginx/proxy") << ";\n"
      << " upstream chipmunk { server 127.0.0.1:" << a << " max_fails=0; server 127.0.0.1:" << b
      << " max_fails=0; }\n"
      << " server {\n  listen 127.0.0.1:" << port << ";\n  location / {\n"
      << "   proxy_pass http://chipmunk;\n   proxy_connect_timeout 2s;\n"
      << "   proxy_next_upstream error timeout;\n  }\n }\n}\n";
  const std::string bin = ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "nginx";
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{bin, "-p", dir.file("nginx"), "-c", dir.file("nginx.conf"), "-e",
                               dir.file("nginx-error.log")},
      dir.file("nginx.out"), dir.file("nginx.err"));
}

HttpResponse nicUpdate(int port, int host, const std::string& ip) {
  return httpRequest(port, "GET",
                     "/nic/update?hostname=h" + std::to_string(host) + ".example.com&myip=" + ip,
                     basicAuth("alice", "secret") + "User-Agent: test-router/1.0\r\n");
}

// PostgreSQL, the Linode fake with h0..h3, and two replicas behind nginx (on `port`).
struct Cluster {
  PostgresServer pg;
  FakeLinode linode;
  long long zone = 0;
  TempDir dir;
  std::unique_ptr<ApiInstance> one;
  std::unique_ptr<ApiInstance> two;
  std::unique_ptr<ChildProcess> nginx;
  int port = 0;
  std::map<std::string, std::string> lastIp;  // per record ("h0"), the last acknowledged

  // `extra`: more INI sections for both replicas.
  void start(const std::string& extra = "") {
    const bool started = pg.start();
    INFO(pg.log());
    REQUIRE(started);
    zone = linode.addDomain("example.com");
    for (int h = 0; h < kHosts; ++h) {
      linode.addRecord(zone, "h" + std::to_string(h), "A", "192.0.2.1");
    }
    const std::string config = replicaConfig(pg, linode, writeHook(dir), extra);
    one = std::make_unique<ApiInstance>(config);
    two = std::make_unique<ApiInstance>(config);
    REQUIRE(one->start());
    REQUIRE(two->start());
    port = freePort();
    nginx = startNginx(dir, port, one->port(), two->port());
    auto up = [&] {
      try {
        return httpRequest(port, "GET", "/healthz").status == 200;
      } catch (const std::exception&) {
        return false;  // nginx is not listening yet
      }
    };
    REQUIRE(waitUntil(up, 10s));
  }
  ~Cluster() {
    if (nginx) {
      nginx->signal(SIGTERM);
      nginx->wait(10s);
    }
  }
  // Change k of a storm: record h(k % kHosts) to 203.0.113.(k+1); true when acknowledged
  // ("nochg": a replica that was killed committed it but died before answering; nginx asked
  // the other one, which found the change made).
  bool change(int k, std::set<std::string>& acknowledged) {
    const std::string ip = "203.0.113." + std::to_string(k + 1);
    const auto r = nicUpdate(port, k % kHosts, ip);
    if (r.body == "good " + ip + "\n" || r.body == "nochg " + ip + "\n") {
      acknowledged.insert("h" + std::to_string(k % kHosts) + ".example.com " + ip);
      lastIp["h" + std::to_string(k % kHosts)] = ip;
      return true;
    }
    return false;
  }
  // Every acknowledged change ran its hook for one event, each event once but for at most
  // `window` re-runs (an event in flight between its hook and its commit when its replica
  // died); every record ends at its last acknowledged address.
  void checkExactlyOnce(const std::set<std::string>& acknowledged, size_t window) {
    REQUIRE(waitUntil([&] { return pg.psql("SELECT count(*) FROM chipmunk_outbox") == "0"; }, 60s));
    std::map<std::string, int> events;
    for (const auto& line : readLines(dir.file("events.txt"))) {
      ++events[line.substr(line.find(' ') + 1)];
    }
    for (const auto& change : acknowledged) {
      CHECK(events[change] == 1);
    }
    CHECK(events.size() == acknowledged.size());
    const auto runs = readLines(dir.file("runs.txt")).size();
    CHECK(runs >= acknowledged.size());
    CHECK(runs <= acknowledged.size() + window);
    for (const auto& [host, ip] : lastIp) {
      CHECK(linode.target(zone, host, "A") == ip);
    }
    const auto puts = static_cast<size_t>(linode.count("PUT"));
    CHECK(puts >= acknowledged.size());
    CHECK(puts <= acknowledged.size() + window);
    WARN("changes acknowledged=" << acknowledged.size() << " hook runs=" << runs
                                 << " hook events=" << events.size() << " PUTs=" << puts);
  }
};

TEST_CASE("Replicas: two replicas behind nginx run each change's hook and push exactly once",
          "[api][outbox][postgres][integration][serial]") {
  Cluster c;
  c.start();
  // Visible on both replicas at once.
  REQUIRE(nicUpdate(c.port, 0, "203.0.113.200").body == "good 203.0.113.200\n");
  for (int p : {c.one->port(), c.two->port()}) {
    CHECK(httpRequest(p, "GET", "/hosts/h0.example.com", basicAuth("alice", "secret"))
              .body.find("203.0.113.200") != std::string::npos);
  }
  // The storm: replica one dies (-9) at a third and comes back at the half.
  constexpr int kChanges = 120;
  const int onePort = c.one->port();
  std::set<std::string> acknowledged = {"h0.example.com 203.0.113.200"};
  c.lastIp["h0"] = "203.0.113.200";
  for (int k = 0; k < kChanges; ++k) {
    if (k == kChanges / 3) {
      c.one->process().signal(SIGKILL);
    }
    if (k == kChanges / 2) {
      REQUIRE(c.one->start("127.0.0.1:" + std::to_string(onePort)));
    }
    c.change(k, acknowledged);
  }
  CHECK(acknowledged.size() >= kChanges - 2);  // nginx retried what the killed one dropped
  c.checkExactlyOnce(acknowledged, 1);
}

TEST_CASE("Replicas: PostgreSQL restarting mid-storm gives 503, then recovers losing nothing",
          "[api][outbox][postgres][integration][serial]") {
  Cluster c;
  c.start();
  std::set<std::string> acknowledged;
  int k = 0;
  for (; k < 30; ++k) {
    REQUIRE(c.change(k, acknowledged));
  }
  c.pg.stop();
  // Refused with 503 while the database is away: nothing is acknowledged.
  int refused = 0;
  for (int tries = 0; tries < 3; ++tries, ++k) {
    const std::string ip = "203.0.113." + std::to_string(k + 1);
    const auto r = nicUpdate(c.port, k % kHosts, ip);
    refused += r.status == 503 ? 1 : 0;
    CHECK(r.body.find(ip) == std::string::npos);
  }
  REQUIRE(c.pg.start());
  // Back within the pool's reconnect: the first writes after the restart may still fail.
  REQUIRE(waitUntil([&] { return c.change(k++, acknowledged); }, 20s));
  for (const int end = k + 30; k < end; ++k) {
    CHECK(c.change(k, acknowledged));
  }
  CHECK(refused == 3);
  // Each replica may have had one event between its effects and its commit when the
  // database went down: those (at most two) ran twice; every other one once.
  c.checkExactlyOnce(acknowledged, 2);
}

TEST_CASE("Replicas: a record expires once across replicas and on_expire runs once",
          "[api][outbox][postgres][integration][serial]") {
  Cluster c;
  c.start("[TTL]\nalice = 2s\n");
  REQUIRE(nicUpdate(c.port, 0, "203.0.113.9").body == "good 203.0.113.9\n");
  // Both replicas look for due records every second; the store withdraws it once and the
  // outbox runs on_expire once (its line has no new address).
  auto expiries = [&](const std::string& file) {
    const auto lines = readLines(c.dir.file(file));
    return std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
      return line.size() > 16 && line.compare(line.size() - 16, 16, " h0.example.com ") == 0;
    });
  };
  REQUIRE(waitUntil([&] { return expiries("events.txt") == 1; }, 20s));
  CHECK_FALSE(waitUntil([&] { return expiries("runs.txt") > 1; }, 4s));
  CHECK(readLines(c.dir.file("runs.txt")).size() == 2);  // the change and the expiry
  CHECK(httpRequest(c.two->port(), "GET", "/hosts/h0.example.com", basicAuth("alice", "secret"))
            .body.find("\"expired\":true") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
