// SPDX-License-Identifier: MIT
#pragma once

// Plain-TCP connections accepted on the I/O threads (issue #19). Pistache 0.0.5's
// Tcp::Listener accepts every connection on one thread of its own, makes it non-blocking
// with two fcntl(2), and hands it to a reactor thread through a queue and an eventfd: per
// `Connection: close` request an epoll_wait, two fcntl, an eventfd write and read (plus
// failed reads), a getpeername and ~1.5 context switches that nginx does not make.
//
// Here Pistache's reactor (Aio::Reactor, its threads and pollers), its Tcp::Transport and
// Tcp::Peer stay the engine; only the Listener is left out. Each I/O thread has a listening
// socket of its own, all bound to the same address with SO_REUSEPORT (the kernel spreads
// connections over them by their addresses and ports, as nginx's `reuseport`), watched by
// that thread's ConnectionTransport in its epoll; it accepts with accept4(SOCK_NONBLOCK |
// SOCK_CLOEXEC) and hands the Peer to itself (Transport::handleNewPeer on its own thread:
// no queue), the peer's address kept in binary from accept(2). One socket shared by all
// threads (EPOLLEXCLUSIVE) was tried first: the thread that woke first took every
// connection of a burst, the other none (wrk's 64 keep-alive connections all on one
// thread). Nothing else listens on the port: Pistache's Listener is not created, so no
// connection goes elsewhere; a second chipmunk-api on the port fails to bind as before
// (listenOn binds the first socket without SO_REUSEPORT), though another program of the
// same user that asks for SO_REUSEPORT could join the group, as with nginx's reuseport. TLS
// connections are accepted the same way; their handshakes run non-blocking on the I/O
// thread (api/server_handshake.cpp), then Pistache reads them.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace Pistache::Aio {
class Reactor;
}
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace chipmunk::api {

class ConnectionTransport;

// The client's address of a connected socket from the kernel (getpeername(2)), in binary.
// IPv4-mapped IPv6 peers of a dual-stack listener come out as IPv4; nullopt when the
// socket has none (it is gone).
std::optional<IpAddress> peerAddress(int fd);
// The same from a socket address accept(2) filled in.
std::optional<IpAddress> ipOf(const sockaddr_storage& ss);

// The listening sockets of an AcceptingServer, one per I/O thread; each thread's transport
// takes the next (ConnectionTransport::registerListener).
struct ListenSockets {
  std::vector<int> fds;
  size_t taken = 0;
  ssl_ctx_st* tls = nullptr;  // native TLS: the handshakes' context (AcceptingServer's)
};

// Native TLS ([Server] tls_certificate, tls_key): a context as Pistache's
// Listener::setupSSL made it (no compression, the certificate chain and key checked,
// partial writes and moving write buffers allowed). Throws std::runtime_error.
ssl_ctx_st* makeTlsContext(const std::string& certificate, const std::string& key);
void freeTlsContext(ssl_ctx_st* context);

// Pistache's reactor with a ConnectionTransport (a clone of the one given to start) per
// I/O thread, each accepting from its own listening socket on host:port.
class AcceptingServer {
 public:
  // Binds and listens, `threads` sockets (SO_REUSEADDR, SO_REUSEPORT, non-blocking,
  // close-on-exec): `host` as in [Server] listen ("localhost" already made 127.0.0.1; an
  // IPv6 address without brackets; "::" is dual-stack unless the system says otherwise).
  // Throws std::runtime_error.
  AcceptingServer(const std::string& host, uint16_t port, size_t threads, int backlog);
  ~AcceptingServer();
  AcceptingServer(const AcceptingServer&) = delete;
  AcceptingServer& operator=(const AcceptingServer&) = delete;

  // Native TLS: every connection makes its handshake on its I/O thread, without blocking
  // it (api/server_handshake.cpp). Before start().
  void useTls(const std::string& certificate, const std::string& key);
  // Starts the I/O threads, each with a clone of `prototype` accepting.
  void start(const std::shared_ptr<ConnectionTransport>& prototype);
  // Stops the I/O threads (joined), then closes the listening sockets.
  void shutdown();
  uint16_t port() const;

 private:
  void closeSockets();

  std::shared_ptr<ListenSockets> sockets_;
  std::unique_ptr<Pistache::Aio::Reactor> reactor_;
};

}  // namespace chipmunk::api
