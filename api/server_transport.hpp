// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-api's Pistache transport, in the place of the one of Pistache's Http::Endpoint:
// Pistache 0.0.5 runs the reactor threads, keeps the peers and writes queued answers
// (Tcp::Transport); this transport accepts the connections on its own thread and makes
// their TLS handshakes (api/server_accept.hpp, in the place of Pistache's Tcp::Listener),
// reads the plain-TCP connections itself and times them out. Pistache's own read loop
// (Transport::handleIncoming) zero-fills a 4 KiB stack buffer per event and calls recv(2)
// until EAGAIN: two recv per keep-alive request where nginx makes one. Here a read that
// does not fill the room offered ends the turn (the socket is drained; more bytes bring
// another edge of the edge-triggered epoll), and a connection is found by its descriptor,
// not by the name of a peer's data. TLS connections are read by Pistache as before (SSL_read
// buffers records of its own) and handed over through ConnectionHandler::onInput.
//
// The timeouts are Pistache's endpoint's (endpoint.cc, checkIdlePeers): every 500 ms, an
// idle connection (its answers out) is closed after keepalive_timeout, a busy one gets a
// 408 and is closed after header_timeout while a head is awaited, body_timeout while a
// body is, never while its answer is awaited from a pool (ConnectionState::timer). A
// connection whose answers wait in Pistache's write queue and did not move for
// keepalive_timeout is closed (the send timeout: a client that does not read).
//
// Pipelining is bounded per connection (ConnectionState::full): the handler stops at the
// bound, the transport then reads nothing more of the connection (the bytes stay in the
// kernel) until, after an event of its I/O thread or the timer, the answers drained; then
// it serves what the reader holds and reads the socket to the end again (epoll is
// edge-triggered: no new edge comes for bytes that waited); one whose client shuts down
// or hangs up meanwhile is closed at once, as at the end of any client's input (its held
// requests released). A TLS connection is read by Pistache whatever we do: while it is
// stopped, what it sends is kept up to kTlsPausedBytes, past that the connection reads no
// more requests.

#include <pistache/tcp.h>
#include <pistache/transport.h>

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.hpp"

struct ssl_st;  // OpenSSL's SSL

namespace chipmunk::api {

class ConnectionState;
struct ListenSockets;
using PeerPtr = std::shared_ptr<Pistache::Tcp::Peer>;

// What ConnectionTransport serves its connections with (api/server.cpp). Its Pistache
// entry points are final: they hand over to the transport.
class ConnectionHandler : public Pistache::Tcp::Handler {
 public:
  // A new connection's state (on the connection's I/O thread, as what follows); `address`:
  // the client's, nullopt when the socket has none.
  virtual std::shared_ptr<ConnectionState> open(const PeerPtr& peer,
                                                std::optional<IpAddress> address) = 0;
  // Serves the requests the connection's reader holds now, in order.
  virtual void serveInput(const PeerPtr& peer, const std::shared_ptr<ConnectionState>& conn) = 0;
  // The connection is gone, or about to be closed.
  virtual void closed(const PeerPtr& peer) = 0;
  // The connection stopped (`on`) or started again being read for its pipelining bounds
  // (ConnectionState::full), or was closed while stopped.
  virtual void paused(bool on) = 0;

  // Pistache::Tcp::Handler
  void onConnection(const PeerPtr& peer) final;
  void onInput(const char* data, size_t size, const PeerPtr& peer) final;  // TLS only
  void onDisconnection(const PeerPtr& peer) final;
};

class ConnectionTransport final : public Pistache::Tcp::Transport {
 public:
  struct Timeouts {
    std::chrono::milliseconds header;
    std::chrono::milliseconds body;
    std::chrono::milliseconds keepalive;
  };

  ConnectionTransport(std::shared_ptr<ConnectionHandler> handler, Timeouts timeouts);
  ~ConnectionTransport() override;

  // Pistache::Aio::Handler (through Tcp::Transport)
  void registerPoller(Pistache::Polling::Epoll& poller) override;
  void onReady(const Pistache::Aio::FdSet& fds) override;
  std::shared_ptr<Pistache::Aio::Handler> clone() const override;

  // Accepts the connections of a listening socket of `sockets` itself (one per I/O
  // thread, api/server_accept.hpp) instead of being handed them by Pistache's Listener.
  // Before the transport is given to the reactor; its clones inherit it.
  void acceptFrom(std::shared_ptr<ListenSockets> sockets) { listenSockets_ = std::move(sockets); }

  // ConnectionHandler's, on the I/O thread.
  // The client's address of a connection being adopted: in binary from accept(2) when
  // this transport accepted it, else from getpeername(2).
  std::optional<IpAddress> addressOf(const PeerPtr& peer) const;
  void adopt(const PeerPtr& peer, std::shared_ptr<ConnectionState> conn);
  void received(const PeerPtr& peer, const char* data, size_t size);
  void forget(const PeerPtr& peer);

 private:
  struct Connection {
    PeerPtr peer;
    std::shared_ptr<ConnectionState> state;
  };

  // Reads what the connection sent and serves it; `closing`: the client shut down its
  // side (read to the end). False when the connection is gone.
  bool readFrom(const Connection& c, bool closing);
  // Serves what the connection's reader holds; notes a connection that stopped at its
  // bounds (paused_).
  void serve(const Connection& c);
  // Serves and reads again the stopped connections whose answers drained.
  void resumePaused();
  // After the connection's last answer went out whole: closes it (`drained`: nothing
  // left unread in the socket) or half-closes it. False when it is closed.
  bool finish(const Connection& c, bool drained);
  void halfCloseTls(const Connection& c);
  // Closes the connection (if Pistache still has it): the handler hears of it first.
  // `peer` is a copy: the entry in conns_ it may come from goes.
  void drop(PeerPtr peer);
  void checkIdle();
  void expire(const PeerPtr& peer);

  // Accepting (api/server_accept.cpp).
  void registerListener(Pistache::Polling::Epoll& poller);
  void watchListener(bool on);
  void resumeAccepting();
  void acceptConnections();
  void adoptAccepted(int fd, const sockaddr_storage& ss, ssl_st* ssl);
  // Native TLS handshakes (api/server_handshake.cpp).
  struct Handshake {
    ssl_st* ssl;
    sockaddr_storage address;
    std::chrono::steady_clock::time_point since;
  };
  using Handshakes = std::unordered_map<int, Handshake>;  // by descriptor
  void startHandshake(int fd, const sockaddr_storage& ss);
  void continueHandshake(Handshakes::iterator it);
  void failHandshake(Handshakes::iterator it);
  // The handshake leaves handshakes_: its source's count goes down (handshakesFrom_).
  void endHandshake(Handshakes::iterator it);
  void expireHandshakes();
  static void freeTls(ssl_st* ssl);
  // `state`: the connection's, null when the transport did not have it; its answers out.
  bool closesAtOnce(const PeerPtr& peer, const ConnectionState* state) const;
  void closeAtOnce(const PeerPtr& peer);
  // A connection closed while answers of it wait in Pistache's write queue (they were
  // queued before ConnectionState::gone): shut down at once, and every event of its
  // descriptor ignored (Pistache would read the end of input, or write, and close it), so
  // that the descriptor number cannot go to a new connection while an old answer may
  // still be handed to it; closed by the timer once the answers are out or failed, or
  // after kLingerMs (an answer Pistache drops on EPIPE never says so).
  struct Lingering {
    PeerPtr peer;
    std::shared_ptr<ConnectionState> state;
    int64_t untilMs;
  };
  void linger(const PeerPtr& peer, std::shared_ptr<ConnectionState> state);
  void closeLingering();
  std::unordered_map<int, Lingering> lingering_;  // by descriptor

  std::shared_ptr<ConnectionHandler> handler_;
  Timeouts timeouts_;
  std::vector<int> paused_;     // connections stopped at their bounds (resumePaused)
  std::vector<int> pausedNow_;  // those being looked at
  int timerFd_ = -1;
  std::unique_ptr<char[]> buffer_;                // what recv(2) reads into (kReadSize)
  std::unordered_map<int, Connection> conns_;     // by descriptor
  std::vector<int> fresh_;                        // adopted during this onReady()
  std::vector<int> freshNow_;                     // those being read
  std::shared_ptr<ListenSockets> listenSockets_;  // acceptFrom's, or null
  int listenFd_ = -1;                             // this thread's of them, or -1
  Pistache::Polling::Epoll* poller_ = nullptr;    // this thread's (watchListener)
  bool acceptPaused_ = false;                     // out of descriptors: resumed by the timer
  bool acceptFailing_ = false;                    // since the last accept that succeeded
  Handshakes handshakes_;  // TLS connections accepted, their handshake not made yet
  // Handshakes in handshakes_ per client address (its bytes: 4 for IPv4, an IPv6 /64's 8).
  std::unordered_map<std::string, uint32_t> handshakesFrom_;
  struct Accepted {
    int fd = -1;
    std::optional<IpAddress> address;
  } accepted_;  // the connection being adopted (addressOf)
};

}  // namespace chipmunk::api
