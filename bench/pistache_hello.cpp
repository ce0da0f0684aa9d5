// SPDX-License-Identifier: MIT
// A bare Pistache 0.0.5 handler answering "Your IP:  <peer>", for bench/run.sh: the floor
// chipmunk-api's /get/ip is compared against. It uses the same endpoint options as
// chipmunk-api (api/server.cpp, with the defaults of docs/CONFIG.md) but Pistache's own
// ResponseWriter, so the numbers show Pistache's default behaviour (an HTTP/1.1 request
// without a Connection header is answered with "Connection: Close").
//
//   pistache_hello [PORT] [THREADS]     (PORT 0 picks a free one; prints "port=N")

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

class HelloHandler final : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HelloHandler)

  // Pistache::Http::Handler
  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter writer) override {
    writer.send(Pistache::Http::Code::Ok, "Your IP:  " + request.address().host());
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace Pistache;
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (port < 0 || port > 65535 || threads < 1 || threads > 64) {
    std::fprintf(stderr, "usage: pistache_hello [PORT] [THREADS]\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Http::Endpoint endpoint(Address(Ipv4::loopback(), Port(static_cast<uint16_t>(port))));
  // chipmunk-api's defaults: max_request_size 8192, header 10 s, body 30 s, keep-alive 60 s.
  auto opts = Http::Endpoint::options()
                  .threads(threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .maxRequestSize(8192)
                  .headerTimeout(std::chrono::seconds(10))
                  .bodyTimeout(std::chrono::seconds(30))
                  .keepaliveTimeout(std::chrono::seconds(60));
  endpoint.init(opts);
  // As chipmunk-api does: Pistache 0.0.5 ignores Options::backlog() (upstream #1194).
  endpoint.initArgs(threads, Flags<Tcp::Options>(Tcp::Options::ReuseAddr),
                    std::string("hello-http"), 1024);
  endpoint.setHandler(Http::make_handler<HelloHandler>());
  endpoint.serveThreaded();
  std::printf("port=%d\n", static_cast<int>(static_cast<uint16_t>(endpoint.getPort())));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  endpoint.shutdown();
  return 0;
}
