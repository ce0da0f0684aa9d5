// SPDX-License-Identifier: MIT
#pragma once

// Plain-TCP connections accepted on the I/O threads (issue #19). Pistache 0.0.5's
// Tcp::Listener accepts every connection on one thread of its own, makes it non-blocking
// with two fcntl(2), and hands it to a reactor thread through a queue and an eventfd: per
// `Connection: close` request an epoll_wait, two fcntl, an eventfd write and read (plus
// failed reads), a getpeername and ~1.5 context switches that nginx does not make.
//
// Here Pistache's reactor (Aio::Reactor, its threads and pollers), its Tcp::Transport and
// Tcp::Peer stay the engine; only the Listener is left out. One listening socket is shared
// by every I/O thread: each ConnectionTransport watches it in its own epoll, level-triggered
// with EPOLLEXCLUSIVE (the kernel wakes one waiting thread per connection, as nginx does),
// accepts with accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) and hands the Peer to itself
// (Transport::handleNewPeer on its own thread: no queue), the peer's address kept in
// binary from accept(2). Nothing else listens on the port, so no connection goes
// elsewhere. TLS connections still come through Pistache's Listener (its handshake runs
// in its accept thread; see docs/BENCHMARKS.md).

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/ip.hpp"

namespace Pistache::Aio {
class Reactor;
}

namespace chipmunk::api {

class ConnectionTransport;

// The client's address of a connected socket from the kernel (getpeername(2)), in binary.
// IPv4-mapped IPv6 peers of a dual-stack listener come out as IPv4; nullopt when the
// socket has none (it is gone).
std::optional<IpAddress> peerAddress(int fd);
// The same from a socket address accept(2) filled in.
std::optional<IpAddress> ipOf(const sockaddr_storage& ss);

// Pistache's reactor with `threads` ConnectionTransports (clones of `prototype`), each
// accepting from one listening socket bound to host:port.
class AcceptingServer {
 public:
  // Binds and listens (SO_REUSEADDR, non-blocking, close-on-exec): `host` as in [Server]
  // listen ("localhost" already made 127.0.0.1; an IPv6 address without brackets; "::"
  // is dual-stack unless the system says otherwise). Throws std::runtime_error.
  AcceptingServer(const std::string& host, uint16_t port, int backlog);
  ~AcceptingServer();
  AcceptingServer(const AcceptingServer&) = delete;
  AcceptingServer& operator=(const AcceptingServer&) = delete;

  // Starts `threads` I/O threads, each with a clone of `prototype` accepting.
  void start(size_t threads, const std::shared_ptr<ConnectionTransport>& prototype);
  // Stops the I/O threads (joined), then closes the listening socket.
  void shutdown();
  uint16_t port() const;

 private:
  int listenFd_ = -1;
  std::unique_ptr<Pistache::Aio::Reactor> reactor_;
};

}  // namespace chipmunk::api
