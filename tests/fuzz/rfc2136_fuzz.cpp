// SPDX-License-Identifier: MIT
// The RFC 2136 provider's handling of the server's reply to its UPDATE (providers/rfc2136.cpp
// and rfc2136_ldns.cpp: ldns parsing the wire message, TSIG verification, rcode and query-id
// checks). A loopback DNS responder answers every UDP datagram and every TCP message with the fuzz
// input, made a response to the query (at least a header's 12 bytes, the query's id, the QR
// bit): rfc2136::exchange() drops any other datagram and waits on, so an input that is none
// would only cost the timeout (the Catch2 tests cover that). The first input byte picks the
// case: bit 0 is unused (it once chose whether the id was patched), bit 1 signs the UPDATE
// with a TSIG key (so ldns verifies the reply's TSIG), bit 2 updates an AAAA record instead
// of an A record.
#include <poll.h>

#include <cstdio>

#include "providers/provider.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

// Answers DNS over UDP and TCP on one loopback port with the current reply.
class DnsResponder {
 public:
  DnsResponder() {
    // The same port number for both transports: retry with a new UDP port if TCP's is taken.
    for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
      udpFd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      tcpFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof addr;
      if (udpFd_ >= 0 && tcpFd_ >= 0 &&
          ::bind(udpFd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
          ::getsockname(udpFd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
          ::bind(tcpFd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
          ::listen(tcpFd_, 16) == 0) {
        port_ = ntohs(addr.sin_port);
      } else {
        ::close(udpFd_);
        ::close(tcpFd_);
      }
    }
    if (port_ == 0) {
      std::abort();
    }
    thread_ = std::thread([this] { run(); });
  }
  ~DnsResponder() {
    stop_ = true;
    thread_.join();
    ::close(udpFd_);
    ::close(tcpFd_);
  }
  DnsResponder(const DnsResponder&) = delete;
  DnsResponder& operator=(const DnsResponder&) = delete;

  uint16_t port() const { return port_; }

  void setReply(std::string reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    reply_ = std::move(reply);
  }

 private:
  std::string replyFor(const std::string& query) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string reply = reply_;
    if (reply.size() < 12) {
      reply.resize(12, '\0');
    }
    if (query.size() >= 2) {
      reply[0] = query[0];
      reply[1] = query[1];
    }
    reply[2] = static_cast<char>(reply[2] | 0x80);
    return reply;
  }

  void run() {
    while (!stop_) {
      pollfd fds[2] = {{udpFd_, POLLIN, 0}, {tcpFd_, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) {
        continue;
      }
      if ((fds[0].revents & POLLIN) != 0) {
        answerUdp();
      }
      if ((fds[1].revents & POLLIN) != 0) {
        answerTcp();
      }
    }
  }

  void answerUdp() {
    char buf[65536];
    sockaddr_storage from{};
    socklen_t fromLen = sizeof from;
    const ssize_t n = ::recvfrom(udpFd_, buf, sizeof buf, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &fromLen);
    if (n < 0) {
      return;
    }
    const std::string reply = replyFor(std::string(buf, static_cast<size_t>(n)));
    ::sendto(udpFd_, reply.data(), reply.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&from),
             fromLen);
  }

  // One message per connection: a two-byte length, then the message (RFC 1035 4.2.2).
  void answerTcp() {
    const int fd = ::accept4(tcpFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      return;
    }
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char buf[4096];
    const auto wanted = [&in] {
      return 2 + ((static_cast<size_t>(static_cast<uint8_t>(in[0])) << 8) |
                  static_cast<uint8_t>(in[1]));
    };
    while (in.size() < 2 || in.size() < wanted()) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      in.append(buf, static_cast<size_t>(n));
    }
    std::string reply = replyFor(in.size() >= 2 ? in.substr(2) : std::string());
    if (reply.size() > 0xffff) {
      reply.resize(0xffff);
    }
    std::string out;
    out.push_back(static_cast<char>(reply.size() >> 8));
    out.push_back(static_cast<char>(reply.size() & 0xff));
    out += reply;
    size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        break;
      }
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  }

  int udpFd_ = -1;
  int tcpFd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string reply_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  using namespace chipmunk::providers;
  if (size == 0) {
    return 0;
  }
  fuzz::quietLogging();
  static DnsResponder responder;
  const uint8_t mode = data[0];
  std::string reply(reinterpret_cast<const char*>(data + 1), size - 1);
  responder.setReply(std::move(reply));

  ProviderContext context;
  context.section = "rfc2136";
  context.settings = {{"server", "127.0.0.1"},
                      {"port", std::to_string(responder.port())},
                      {"zone", "example.com"},
                      {"ttl", "300"}};
  if ((mode & 2) != 0) {
    // A throwaway fuzzing key (32 bytes, base64), not a secret of any server.
    context.settings["key_name"] = "fuzz-key";
    context.settings["key_secret"] = "ZnV6ei1vbmx5LWtleS1ub3QtYS1yZWFsLXNlY3JldCE=";
    context.settings["key_algorithm"] = "hmac-sha256";
  }
  const bool v6 = (mode & 4) != 0;
  context.records = {{"home", "home", "example.com", v6 ? RecordType::AAAA : RecordType::A}};
  // The responder always answers, so no input waits that long.
  context.http.timeout = std::chrono::milliseconds(500);
  const ProviderInfo* info = ProviderRegistry::builtin().find("rfc2136");
  auto provider = info->create(context);
  provider->prepare();
  const UpdateResult r =
      provider->update(context.records[0], *IpAddress::parse(v6 ? "2001:db8::7" : "198.51.100.7"));
  if (std::getenv("FUZZ_VERBOSE") != nullptr) {  // to see where a seed goes
    std::fprintf(stderr, "update: %s %s\n", toString(r.status), r.detail.c_str());
  }
  return 0;
}
