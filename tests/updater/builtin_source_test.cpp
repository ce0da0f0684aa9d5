// SPDX-License-Identifier: MIT
// The built-in discovery sources (config/builtin_sources.cpp) against loopback stand-ins: a
// fake HTTP echo service per row, and a real BIND answering the DNS questions (IN and CH,
// over IPv4 and IPv6, UDP and TCP).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <thread>

#include "tests/support/bind_server.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/builtin_source.hpp"
#include "updater/dns_query.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::BindServer;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

providers::HttpOptions fastHttp() {
  providers::HttpOptions h;
  h.timeout = std::chrono::seconds(3);
  return h;
}

// What a built-in makes of a reply: the validated address, or "error: ...".
std::string discoverWith(const std::string& name, Family family,
                         const std::optional<BuiltinOverride>& override) {
  auto source = makeBuiltinSource(name, fastHttp(), override);
  std::string error;
  const auto text = source->fetch(family, error);
  if (!text) {
    return "error: " + error;
  }
  const auto ip = validateAddress(*text, family, false, error);
  return ip ? ip->toString() : "error: " + error;
}

// The three operators' zones on one BIND: OpenDNS (IN A/AAAA), Google (IN TXT, padded with
// enough records that the UDP reply is truncated and the question is asked again over TCP)
// and Cloudflare (CH TXT).
void addOperatorZones(BindServer& bind, const std::string& v4, const std::string& v6) {
  bind.addZone("opendns.com", "IN", "myip IN A " + v4 + "\nmyip IN AAAA " + v6 + "\n");
  std::string padding;
  for (int i = 0; i < 12; ++i) {
    padding +=
        "o-o.myaddr IN TXT \"padding " + std::to_string(i) + " " + std::string(50, 'p') + "\"\n";
  }
  bind.addZone("l.google.com", "IN", "o-o.myaddr IN TXT \"" + v4 + "\"\n" + padding);
  bind.addZone("cloudflare", "CH", "whoami CH TXT \"" + v4 + "\"\n");
}

// A DNS server that answers every question with one kind of lie; the last two tell the truth
// (8.8.4.4) 50 ms after their lie (6.6.6.6), the last one sending the lie from another port.
class LyingDns {
 public:
  enum class Lie { kWrongId, kWrongName, kWrongType, kWrongIdFirst, kOtherPortFirst };
  explicit LyingDns(Lie lie) : lie_(lie) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    timeval tv{0, 100 * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { serve(); });
  }
  ~LyingDns() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    ::close(otherFd_);
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stop_) {
      unsigned char buf[512];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 17) {
        continue;
      }
      std::string reply(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
      reply[2] = static_cast<char>(reply[2] | 0x80);  // QR
      reply[7] = 1;                                   // ANCOUNT = 1
      const std::string truth = reply + answer("\x08\x08\x04\x04");
      if (lie_ == Lie::kWrongId || lie_ == Lie::kWrongIdFirst) {
        reply[1] = static_cast<char>(reply[1] ^ 0x5a);
      } else if (lie_ == Lie::kWrongName) {
        reply[14] = 'z';  // "mzip.opendns.com"
      } else if (lie_ == Lie::kWrongType) {
        reply[static_cast<size_t>(n) - 3] = 28;  // QTYPE A -> AAAA
      }
      const bool first = lie_ == Lie::kWrongIdFirst || lie_ == Lie::kOtherPortFirst;
      reply += answer(first ? "\x06\x06\x06\x06" : "\x08\x08\x04\x04");
      ::sendto(lie_ == Lie::kOtherPortFirst ? otherFd_ : fd_, reply.data(), reply.size(), 0,
               reinterpret_cast<sockaddr*>(&from), len);
      if (first) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::sendto(fd_, truth.data(), truth.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
  // One A record for the name at offset 12 (a compression pointer).
  static std::string answer(const char (&address)[5]) {
    return std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 12) +
           std::string(address, 4);
  }
  Lie lie_;
  int fd_ = -1;
  int otherFd_ = ::socket(AF_INET, SOCK_DGRAM, 0);  // unbound: its first send picks a port
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("Built-in sources: every row reads its kind of answer", "[updater][unit]") {
  std::string error;
  for (const auto& row : config::builtinSources()) {
    INFO(row.name << (row.ipv6 ? " ipv6" : " ipv4"));
    const std::string ip = row.ipv6 ? "2001:4860::5" : "8.8.4.4";
    std::optional<std::string> got;
    switch (row.answer) {
      case config::BuiltinAnswer::kText:
        got = readHttpAnswer(row, ip + "\n", error);
        break;
      case config::BuiltinAnswer::kJson:
        got =
            readHttpAnswer(row, "{\"" + row.field + "\":\"" + ip + "\",\"country\":\"X\"}", error);
        CHECK_FALSE(readHttpAnswer(row, "{\"address\":\"" + ip + "\"}", error));
        CHECK_FALSE(readHttpAnswer(row, "<html>" + ip + "</html>", error));
        break;
      case config::BuiltinAnswer::kKeyValue:
        got = readHttpAnswer(row, "fl=1\nh=1.1.1.1\n" + row.field + "=" + ip + "\nts=1\n", error);
        CHECK_FALSE(readHttpAnswer(row, "fl=1\nh=" + ip + "\n", error));
        break;
      case config::BuiltinAnswer::kDnsAddress:
        got = readDnsAnswer(row, {ip}, error);
        CHECK_FALSE(readDnsAnswer(row, {ip, row.ipv6 ? "2001:4860::6" : "8.8.8.8"}, error));
        break;
      case config::BuiltinAnswer::kDnsTxt:
        got = readDnsAnswer(row, {"padding", ip}, error);
        CHECK_FALSE(readDnsAnswer(row, {"no address here"}, error));
        break;
    }
    REQUIRE(got);
    CHECK(validateAddress(*got, row.ipv6 ? Family::kIPv6 : Family::kIPv4, false, error));
  }
}

TEST_CASE("Built-in sources: the test override re-points every row, and only what it names",
          "[updater][unit]") {
  CHECK_FALSE(parseBuiltinOverride("https4=http://x,bogus=1"));
  const auto o = parseBuiltinOverride("https4=http://127.0.0.1:8,dns4=127.0.0.1:9");
  REQUIRE(o);
  for (const auto& row : config::builtinSources()) {
    INFO(row.name);
    if (!row.url.empty()) {
      CHECK(builtinUrl(row, std::nullopt) == row.url);
      const auto url = builtinUrl(row, o);
      CHECK(url.has_value() == !row.ipv6);  // no https6: IPv6 rows fail, never go out
      if (url) {
        CHECK(url->rfind("http://127.0.0.1:8/" + row.name + "/", 0) == 0);
      }
    }
  }
  CHECK(discoverWith("opendns", Family::kIPv6, *o).find("names no target") != std::string::npos);
}

TEST_CASE("Built-in sources: the HTTPS rows against fake echo services, hostile ones refused",
          "[updater][integration]") {
  std::string mode = "good";
  FakeHttpServer echo([&](const FakeRequest& req) {
    FakeResponse r;
    r.contentType = "text/plain";
    if (mode == "html") {
      r.body = "<html><body>8.8.4.4</body></html>";
    } else if (mode == "huge") {
      r.body = "8.8.4.4" + std::string(100000, ' ');
    } else if (mode == "private") {
      r.body = "10.1.2.3";
    } else if (mode == "v6") {
      r.body = "2001:4860::5";
    } else if (req.path.rfind("/cloudflare-trace/", 0) == 0) {
      r.body = "fl=1\nh=1.1.1.1\nip=8.8.4.4\nts=1\n";
    } else if (req.path.rfind("/ifconfig.co/", 0) == 0 || req.param("format") == "json") {
      r.body = "{\"ip\":\"8.8.4.4\"}";
    } else {
      r.body = "8.8.4.4\n";
    }
    return r;
  });
  const auto o = parseBuiltinOverride("https4=" + echo.url());
  for (const std::string name :
       {"ipify", "ipify-json", "icanhazip", "ifconfig.co", "ident.me", "cloudflare-trace"}) {
    INFO(name);
    CHECK(discoverWith(name, Family::kIPv4, o) == "8.8.4.4");
  }
  CHECK(echo.requests().at(1).query == "format=json");
  mode = "html";
  CHECK(discoverWith("ipify", Family::kIPv4, o).find("not an IP address") != std::string::npos);
  mode = "huge";
  CHECK(discoverWith("ipify", Family::kIPv4, o).rfind("error: ", 0) == 0);
  mode = "private";
  CHECK(discoverWith("ident.me", Family::kIPv4, o).find("not a public address") !=
        std::string::npos);
  mode = "v6";
  CHECK(discoverWith("icanhazip", Family::kIPv4, o).find("wanted an ipv4 address") !=
        std::string::npos);
  echo.stop();
  CHECK(discoverWith("ipify", Family::kIPv4, o).rfind("error: ", 0) == 0);
}

TEST_CASE("Built-in sources: the DNS rows against a real BIND, IN and CH, IPv4 and IPv6",
          "[updater][integration]") {
  BindServer bind;
  addOperatorZones(bind, "8.8.4.4", "2001:4860::5");
  REQUIRE(bind.start());
  const std::string port = std::to_string(bind.port());
  const auto o = parseBuiltinOverride("dns4=127.0.0.1:" + port + ",dns6=[::1]:" + port);
  CHECK(discoverWith("opendns", Family::kIPv4, o) == "8.8.4.4");
  CHECK(discoverWith("opendns", Family::kIPv6, o) == "2001:4860::5");
  CHECK(discoverWith("google-dns", Family::kIPv4, o) == "8.8.4.4");  // truncated: TCP
  CHECK(discoverWith("cloudflare-dns", Family::kIPv4, o) == "8.8.4.4");
  // The TXT answers hold an IPv4 address: asked for IPv6, that is refused.
  CHECK(discoverWith("google-dns", Family::kIPv6, o).find("wanted an ipv6 address") !=
        std::string::npos);
  CHECK(discoverWith("cloudflare-dns", Family::kIPv6, o).find("wanted an ipv6 address") !=
        std::string::npos);
}

TEST_CASE("Built-in sources: a DNS reply with a wrong ID, name or type is refused",
          "[updater][integration]") {
  // A datagram with another ID is no reply: the wait goes on (here, to the timeout).
  const std::pair<LyingDns::Lie, const char*> lies[] = {
      {LyingDns::Lie::kWrongId, "UDP: no reply within 500 ms"},
      {LyingDns::Lie::kWrongName, "DNS reply to another question"},
      {LyingDns::Lie::kWrongType, "DNS reply to another question"}};
  for (const auto& [lie, refusal] : lies) {
    LyingDns liar(lie);
    std::string error;
    const auto records = askDns({"myip.opendns.com", "A", "IN", liar.server()},
                                std::chrono::milliseconds(500), error);
    CHECK_FALSE(records);
    CHECK(error == refusal);
  }
}

TEST_CASE(
    "Built-in sources: a forged DNS datagram (another ID, another port) does not win over "
    "the server's answer",
    "[updater][integration]") {
  for (const auto lie : {LyingDns::Lie::kWrongIdFirst, LyingDns::Lie::kOtherPortFirst}) {
    LyingDns liar(lie);
    std::string error;
    const auto records =
        askDns({"myip.opendns.com", "A", "IN", liar.server()}, std::chrono::seconds(5), error);
    INFO(error);
    REQUIRE(records);
    CHECK(*records == std::vector<std::string>{"8.8.4.4"});
  }
}

TEST_CASE("Built-in sources: a DNS server's closed port fails at once, not after the timeout",
          "[updater][integration]") {
  int closed = 0;
  {
    LyingDns gone(LyingDns::Lie::kWrongId);
    closed = std::stoi(gone.server().substr(gone.server().rfind(':') + 1));
  }
  for (const std::string server : {"127.0.0.1:", "[::1]:"}) {
    std::string error;
    const auto records = askDns({"myip.opendns.com", "A", "IN", server + std::to_string(closed)},
                                std::chrono::seconds(30), error);
    CHECK_FALSE(records);
    // The kernel's "port unreachable", not "no reply within 30000 ms".
    CHECK(error == "UDP: port unreachable (nothing listens there)");
  }
}

TEST_CASE("Built-in sources: HTTPS rows over TLS with a throw-away CA", "[updater][integration]") {
  // openssl s_server -WWW serves files by path: the two rows whose URL ends in a file name.
  chipmunk::test::TempDir dir;
  const std::string cert = dir.file("cert.pem");
  const std::string key = dir.file("key.pem");
  REQUIRE(chipmunk::test::runCommand(
              {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
              dir.file("o"), dir.file("e")) == 0);
  std::filesystem::create_directories(dir.file("ifconfig.co"));
  std::filesystem::create_directories(dir.file("cloudflare-trace/cdn-cgi"));
  chipmunk::test::writeFile(dir.file("ifconfig.co/json"), "{\"ip\":\"8.8.4.4\",\"country\":\"X\"}");
  chipmunk::test::writeFile(dir.file("cloudflare-trace/cdn-cgi/trace"), "h=x\nip=8.8.4.4\nts=1\n");
  int port = 0;
  {
    FakeHttpServer probe([](const FakeRequest&) { return FakeResponse{}; });
    port = probe.port();  // free a moment ago
  }
  chipmunk::test::ChildProcess server(
      {"/bin/sh", "-c",
       "cd " + dir.path() + " && exec /usr/bin/openssl s_server -quiet -WWW -accept 127.0.0.1:" +
           std::to_string(port) + " -cert " + cert + " -key " + key},
      dir.file("s.out"), dir.file("s.err"));
  providers::HttpOptions http = fastHttp();
  http.caFile = cert;
  const auto o = parseBuiltinOverride("https4=https://127.0.0.1:" + std::to_string(port));
  const auto ask = [&](const std::string& name) {
    std::string error;
    std::optional<std::string> text;
    chipmunk::test::waitUntil(
        [&] {
          return (text = makeBuiltinSource(name, http, o)->fetch(Family::kIPv4, error)).has_value();
        },
        std::chrono::seconds(10));
    const auto ip = text ? validateAddress(*text, Family::kIPv4, false, error) : std::nullopt;
    return ip ? ip->toString() : error;
  };
  CHECK(ask("ifconfig.co") == "8.8.4.4");
  CHECK(ask("cloudflare-trace") == "8.8.4.4");
  // Without the throw-away CA the same server is refused.
  std::string error;
  CHECK_FALSE(makeBuiltinSource("ifconfig.co", fastHttp(), o)->fetch(Family::kIPv4, error));
  server.signal(SIGTERM);
  server.wait(std::chrono::seconds(5));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
