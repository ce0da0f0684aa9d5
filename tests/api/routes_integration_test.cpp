// SPDX-License-Identifier: MIT
// The routes of the real chipmunk-api binary over real sockets: exact answer formats, HEAD,
// 405/404, IPv4/IPv6 listeners and connection persistence.
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\n";
const std::string kAlice = basicAuth("alice", "secret");

// Runs `body` on a thread that has a network namespace of its own with only a loopback
// interface, so that a wildcard listener ([::]) is reachable from nowhere else. Processes
// forked from that thread (the server) live in the namespace too. Catch assertions are not
// thread-safe: `body` records what it saw and the caller checks it. Returns an error text,
// empty on success.
std::string inPrivateNetwork(const std::function<void()>& body) {
  std::string error;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    const bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
                    (ifr.ifr_flags |= IFF_UP, ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
    if (s >= 0) {
      ::close(s);
    }
    if (!up) {
      error = std::string("cannot bring lo up: ") + std::strerror(errno);
      return;
    }
    try {
      body();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  t.join();
  return error;
}

TEST_CASE("Integration: /get/ip and /get/ip.json answer in the original formats",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const auto text = httpRequest(api.port(), "GET", "/get/ip", kAlice);
  CHECK(text.status == 200);
  CHECK(text.header("content-type").rfind("text/plain", 0) == 0);
  CHECK(text.body == "Your IP:  127.0.0.1");
  CHECK(text.header("content-length") == std::to_string(text.body.size()));

  const auto json = httpRequest(api.port(), "GET", "/get/ip.json", kAlice);
  CHECK(json.status == 200);
  CHECK(json.header("content-type") == "application/json");
  CHECK(json.body == "{\"Client_IP\": \"127.0.0.1\"}");

  // A query string does not change the route.
  CHECK(httpRequest(api.port(), "GET", "/get/ip?x=1", kAlice).body == "Your IP:  127.0.0.1");
}

TEST_CASE("Integration: HEAD gets the headers of GET without a body", "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  for (const std::string path : {"/get/ip", "/get/ip.json", "/healthz", "/no/such/path"}) {
    INFO(path);
    const auto get = httpRequest(api.port(), "GET", path, kAlice);
    // HEAD and then GET on one connection: a body sent after HEAD would be read as the
    // second response's status line.
    HttpConnection conn("127.0.0.1", api.port());
    conn.sendRaw("HEAD " + path + " HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n");
    const auto head = conn.readResponse(true);
    conn.sendRaw("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + kAlice +
                 "\r\n");
    const auto after = conn.readResponse();
    CHECK(head.status == get.status);
    CHECK(head.header("content-type") == get.header("content-type"));
    CHECK(head.header("content-length") == std::to_string(get.body.size()));
    CHECK(head.header("cache-control") == get.header("cache-control"));
    CHECK(after.status == get.status);
    CHECK(after.body == get.body);
  }
  // HEAD is authenticated like GET.
  const auto anonymous = httpRequest(api.port(), "HEAD", "/get/ip");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("www-authenticate") == "Basic realm=\"chipmunk\"");
  CHECK(anonymous.body.empty());
}

TEST_CASE("Integration: HEAD never changes a record", "[api][integration]") {
  // RFC 9110 section 9.2.1: HEAD is safe. `curl -I` on /set from an administrator's laptop,
  // or a link checker on a bookmarked /nic/update URL, must not move the record.
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const std::string agent = "User-Agent: test/1\r\n";
  struct Case {
    const char* path;
    const char* allow;
  };
  for (const Case& c : {Case{"/set", "GET, POST"}, Case{"/set?note=from-head", "GET, POST"},
                        Case{"/nic/update?hostname=alice&myip=192.0.2.1", "GET"},
                        Case{"/v3/update?hostname=alice&myip=192.0.2.1", "GET"}}) {
    INFO(c.path);
    const auto r = httpRequest(api.port(), "HEAD", c.path, kAlice + agent);
    CHECK(r.status == 405);
    CHECK(r.header("allow") == c.allow);
    CHECK(r.body.empty());
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.json"));
  // GET still stores, and HEAD still reads.
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).status == 200);
  CHECK(fileExists(api.dataDir() + "/alice.cm"));
  CHECK(httpRequest(api.port(), "HEAD", "/hosts/alice", kAlice).status == 200);
}

TEST_CASE("Integration: other methods get 405 with Allow and unknown paths 404",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (const Case& c :
       {Case{"POST", "/get/ip", "GET, HEAD"}, Case{"PUT", "/get/ip.json", "GET, HEAD"},
        Case{"DELETE", "/set", "GET, POST"}, Case{"PUT", "/set", "GET, POST"},
        Case{"PATCH", "/get/ip", "GET, HEAD"}, Case{"OPTIONS", "/set", "GET, POST"},
        Case{"POST", "/healthz", "GET, HEAD"}}) {
    INFO(c.method << " " << c.path);
    const auto r = httpRequest(api.port(), c.method, c.path, kAlice);
    CHECK(r.status == 405);
    CHECK(r.header("allow") == c.allow);
  }
  // A refused method stores nothing.
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));

  for (const std::string path : {"/nope", "/get/ip/", "/get/ip.xml", "/get", "/set/x", "/GET/IP"}) {
    INFO(path);
    const auto r = httpRequest(api.port(), "GET", path, kAlice);
    CHECK(r.status == 404);
    CHECK(r.body == "Not Found");
  }
  // /healthz needs no credentials.
  const auto health = httpRequest(api.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
}

TEST_CASE("Integration: every route answers every method by one table", "[api][integration]") {
  ApiInstance api(kUsers + "[Hosts]\nhome.example.org = alice\n");
  REQUIRE(api.start());
  struct Route {
    const char* path;
    const char* allow;  // nullptr: no such route (404 whatever the method)
  };
  const std::vector<Route> routes = {
      {"/healthz", "GET, HEAD"},   {"/get/ip", "GET, HEAD"},      {"/get/ip.json", "GET, HEAD"},
      {"/set", "GET, POST"},       {"/nic/update", "GET"},        {"/v3/update", "GET"},
      {"/hosts", "GET, HEAD"},     {"/hosts/alice", "GET, HEAD"}, {"/", "GET, HEAD"},
      {"/no/such/route", nullptr},
  };
  const std::string agent = "User-Agent: test/1\r\n";
  for (const auto& route : routes) {
    for (const std::string method :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}) {
      INFO(method << " " << route.path);
      const auto r = httpRequest(api.port(), method, route.path, kAlice + agent);
      if (route.allow == nullptr) {
        CHECK(r.status == 404);
        continue;
      }
      const std::string allow = route.allow;
      const bool allowed = allow.find(method) != std::string::npos;
      if (allowed) {
        CHECK(r.status == 200);
      } else {
        CHECK(r.status == 405);
        CHECK(r.header("allow") == allow);
      }
    }
  }
  // A method the server does not implement at all: 501, on any path.
  for (const std::string method : {"FETCH", "get", "BREW"}) {
    INFO(method);
    CHECK(httpRequest(api.port(), method, "/get/ip", kAlice).status == 501);
  }
}

TEST_CASE("Integration: DELETE /nic/update is 405 with Allow and changes nothing",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  for (const std::string path : {"/nic/update", "/v3/update"}) {
    for (const std::string method : {"DELETE", "POST", "PUT", "PATCH"}) {
      INFO(method << " " << path);
      const auto r = httpRequest(api.port(), method, path + "?hostname=alice&myip=192.0.2.1",
                                 kAlice + "User-Agent: test/1\r\n");
      CHECK(r.status == 405);
      CHECK(r.header("allow") == "GET");
      CHECK(r.body == "badagent\n");  // dyndns2's word for a method not permitted
    }
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
}

TEST_CASE("Integration: an IPv6 listener reports IPv6 clients in RFC 5952 form",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start("[::1]:0"));
  CHECK(contains(api.log(), "listening address=[::1]:" + std::to_string(api.port())));
  const auto text = httpRequest(api.port(), "GET", "/get/ip", kAlice, {}, "::1");
  CHECK(text.status == 200);
  CHECK(text.body == "Your IP:  ::1");
  const auto set = httpRequest(api.port(), "GET", "/set", kAlice, {}, "::1");
  CHECK(set.body == "{\"Client_IP\": \"::1\", \"status\": \"saved\"}");
  CHECK(readFile(api.dataDir() + "/alice.cm") == "::1\n");
}

TEST_CASE("Integration: a dual-stack listener reports IPv4 clients without the ::ffff: prefix",
          "[api][integration]") {
  if (::geteuid() != 0) {
    WARN("needs root for a private network namespace; [::] is not opened on the host");
    return;
  }
  std::string listenLine;
  HttpResponse v4;
  HttpResponse v4json;
  HttpResponse v4set;
  HttpResponse v6;
  std::string stored;
  bool started = false;
  const std::string error = inPrivateNetwork([&] {
    ApiInstance api(kUsers);
    started = api.start("[::]:0");
    if (!started) {
      return;
    }
    listenLine = linesWith(api.log(), "listening address=").back();
    v4 = httpRequest(api.port(), "GET", "/get/ip", kAlice, {}, "127.0.0.1");
    v4json = httpRequest(api.port(), "GET", "/get/ip.json", kAlice, {}, "127.0.0.1");
    v4set = httpRequest(api.port(), "GET", "/set", kAlice, {}, "127.0.0.1");
    stored = readFile(api.dataDir() + "/alice.cm");
    v6 = httpRequest(api.port(), "GET", "/get/ip", kAlice, {}, "::1");
  });
  REQUIRE(error.empty());
  REQUIRE(started);
  CHECK(contains(listenLine, "listening address=[::]:"));
  CHECK(v4.body == "Your IP:  127.0.0.1");
  CHECK(v4json.body == "{\"Client_IP\": \"127.0.0.1\"}");
  CHECK(v4set.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}");
  CHECK(stored == "127.0.0.1\n");
  CHECK(v6.body == "Your IP:  ::1");
}

TEST_CASE("Integration: HTTP/1.1 connections persist unless the client asks to close",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());

  // No Connection header: RFC 9112 says the connection persists.
  HttpConnection conn("127.0.0.1", api.port());
  for (const std::string path : {"/get/ip", "/get/ip.json", "/set", "/healthz"}) {
    INFO(path);
    conn.sendRaw("GET " + path + " HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n");
    const auto r = conn.readResponse();
    CHECK(r.status == 200);
    CHECK(r.header("connection") != "close");
  }
  // (Pipelining is not covered: Pistache 0.0.5 drops a second request that arrives in the
  // same read as the first.)
  CHECK_FALSE(conn.waitForClose(std::chrono::milliseconds(300)));

  // Connection: close is honoured, also after earlier requests on the connection.
  conn.sendRaw("GET /get/ip HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + kAlice + "\r\n");
  const auto last = conn.readResponse();
  CHECK(last.status == 200);
  CHECK(last.header("connection") == "close");
  CHECK(conn.waitForClose(std::chrono::seconds(5)));
}

TEST_CASE("Integration: HTTP/1.0 connections close unless keep-alive is asked for",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  {
    HttpConnection conn("127.0.0.1", api.port());
    conn.sendRaw("GET /get/ip HTTP/1.0\r\n" + kAlice + "\r\n");
    const auto r = conn.readResponse();
    CHECK(r.status == 200);
    CHECK(r.body == "Your IP:  127.0.0.1");
    CHECK(r.header("connection") == "close");
    CHECK(conn.waitForClose(std::chrono::seconds(5)));
  }
  {
    HttpConnection conn("127.0.0.1", api.port());
    conn.sendRaw("GET /get/ip HTTP/1.0\r\nConnection: keep-alive\r\n" + kAlice + "\r\n");
    const auto first = conn.readResponse();
    CHECK(first.status == 200);
    CHECK(first.header("connection") == "keep-alive");
    CHECK_FALSE(conn.waitForClose(std::chrono::milliseconds(300)));
    conn.sendRaw("GET /get/ip.json HTTP/1.0\r\n" + kAlice + "\r\n");
    const auto second = conn.readResponse();
    CHECK(second.body == "{\"Client_IP\": \"127.0.0.1\"}");
    CHECK(conn.waitForClose(std::chrono::seconds(5)));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
