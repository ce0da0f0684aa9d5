// SPDX-License-Identifier: MIT
#include "api/server_accept.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pistache/net.h>
#include <pistache/os.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "api/server_parser.hpp"
#include "api/server_transport.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

// Connections taken per readiness of the listening socket, as nginx without multi_accept:
// more waiting keep it readable (level-triggered), so the next epoll_wait says so again,
// once this thread has served what else was ready.
constexpr int kAcceptsPerEvent = 1;

// TCP_DEFER_ACCEPT (tcp(7); nginx's `listen ... deferred`): a connection is ready to accept
// once its first bytes arrived, so a thread wakes once per connection with the request
// there to read, not once for the handshake and again for the request (close: 0.8 -> 0.33
// context switches, 6.9 -> 6.0 system calls per request). A client that connects and says
// nothing is accepted anyway once this passed (at the next SYN-ACK the kernel resends, ~1-3
// s), then header_timeout applies as before; until then it holds no descriptor and no
// state of ours, only the kernel's request socket (bounded by the backlog, SYN cookies).
constexpr int kDeferAcceptSeconds = 1;

}  // namespace

std::optional<IpAddress> ipOf(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    return IpAddress::fromV4(bytes);
  }
  if (ss.ss_family == AF_INET6) {
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
    return IpAddress::fromV6(bytes);  // folds ::ffff:a.b.c.d
  }
  return std::nullopt;
}

std::optional<IpAddress> peerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return std::nullopt;
  }
  return ipOf(ss);
}

namespace {

// A socket bound to `a` (its port replaced by `port` unless 0) and listening, in the
// SO_REUSEPORT group of that address; -1 with errno set on failure. The first socket
// (`first`) is bound without SO_REUSEPORT and given it only before listen(2): its bind
// fails as any bind does when something already listens there (another chipmunk-api
// included; the check of "--listen ... port 0" tests it), and anything that binds after
// it without SO_REUSEPORT fails too; the group forms at listen(2).
int listenOn(const addrinfo& a, uint16_t port, int backlog, bool first) {
  sockaddr_storage address{};
  std::memcpy(&address, a.ai_addr, a.ai_addrlen);
  if (port != 0) {
    (a.ai_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&address)->sin_port) = htons(port);
  }
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  const int one = 1;
  const auto reusePort = [&] {
    return ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
  };
  if (fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
      (first || reusePort()) &&
      ::bind(fd, reinterpret_cast<const sockaddr*>(&address), a.ai_addrlen) == 0 &&
      (!first || reusePort()) && ::listen(fd, backlog) == 0) {
    // Best effort: without it the connection is accepted before its request arrives.
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &kDeferAcceptSeconds,
                       sizeof kDeferAcceptSeconds);
    return fd;
  }
  const int error = errno;
  if (fd >= 0) {
    ::close(fd);
  }
  errno = error;
  return -1;
}

uint16_t portOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return 0;
  }
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

AcceptingServer::AcceptingServer(const std::string& host, uint16_t port, size_t threads,
                                 int backlog)
    : sockets_(std::make_shared<ListenSockets>()) {
  addrinfo hints{};
  hints.ai_family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    throw std::runtime_error(std::string("cannot resolve listen address: ") + gai_strerror(rc));
  }
  // The first address that binds, as Pistache's Listener::bind; then the other threads'
  // sockets on the port it got (port 0: the one the kernel chose).
  int error = 0;
  for (const addrinfo* a = found; a != nullptr && sockets_->fds.empty(); a = a->ai_next) {
    const int first = listenOn(*a, 0, backlog, true);
    error = errno;
    for (int fd = first; fd >= 0 && sockets_->fds.size() < threads;) {
      sockets_->fds.push_back(fd);
      fd = sockets_->fds.size() < threads ? listenOn(*a, portOf(first), backlog, false) : -1;
      error = errno;
    }
    if (!sockets_->fds.empty() && sockets_->fds.size() < threads) {
      closeSockets();  // a later socket failed: try the next address
    }
  }
  ::freeaddrinfo(found);
  if (sockets_->fds.empty()) {
    throw std::runtime_error(std::strerror(error));
  }
}

AcceptingServer::~AcceptingServer() {
  shutdown();
}

void AcceptingServer::start(const std::shared_ptr<ConnectionTransport>& prototype) {
  prototype->acceptFrom(sockets_);
  reactor_ = std::make_unique<Pistache::Aio::Reactor>();
  reactor_->init(Pistache::Aio::AsyncContext(sockets_->fds.size(), "chipmunk-http"));
  reactor_->addHandler(prototype);  // a clone per thread, each taking a socket of its own
  reactor_->run();
}

void AcceptingServer::shutdown() {
  if (reactor_) {
    reactor_->shutdown();
    reactor_.reset();  // joins the I/O threads
  }
  closeSockets();
  freeTlsContext(sockets_->tls);
  sockets_->tls = nullptr;
}

void AcceptingServer::useTls(const std::string& certificate, const std::string& key) {
  freeTlsContext(sockets_->tls);
  sockets_->tls = nullptr;
  sockets_->tls = makeTlsContext(certificate, key);
}

void AcceptingServer::closeSockets() {
  for (const int fd : sockets_->fds) {
    ::close(fd);
  }
  sockets_->fds.clear();
}

uint16_t AcceptingServer::port() const {
  return sockets_->fds.empty() ? 0 : portOf(sockets_->fds.front());
}

// ConnectionTransport's accepting half (api/server_transport.hpp).

// Watches the listening socket in this thread's epoll (on), or stops (off: out of
// descriptors, see acceptConnections). Level-triggered: while connections wait, every
// epoll_wait says so.
void ConnectionTransport::watchListener(bool on) {
  if (on) {
    poller_->addFd(listenFd_,
                   Pistache::Flags<Pistache::Polling::NotifyOn>(Pistache::Polling::NotifyOn::Read),
                   Pistache::Polling::Tag(static_cast<uint64_t>(listenFd_)));
  } else {
    poller_->removeFd(listenFd_);
  }
  acceptPaused_ = !on;
}

// Called by registerPoller for each I/O thread's clone in turn (Reactor::addHandler, on
// the starting thread): each takes the next socket.
void ConnectionTransport::registerListener(Pistache::Polling::Epoll& poller) {
  poller_ = &poller;
  listenFd_ = listenSockets_->fds.at(listenSockets_->taken++ % listenSockets_->fds.size());
  watchListener(true);
}

void ConnectionTransport::resumeAccepting() {
  if (acceptPaused_) {
    try {
      watchListener(true);
    } catch (const std::exception& e) {
      logging::get("api")->error("accepting stays paused error=\"{}\"", e.what());
    }
  }
}

// Takes a connection the listening socket holds, if another I/O thread did not, and adopts
// it as Pistache's listener would have handed it over (Transport::handleNewPeer, here on
// the connection's own thread: no queue, no eventfd). Out of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM), the connection stays in the backlog and this thread
// stops watching the socket until the next timer tick (500 ms), as nginx does: the
// level-triggered socket would otherwise wake it again at once, forever.
void ConnectionTransport::acceptConnections() {
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd =
        ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        if (!acceptFailing_) {  // once per thread until an accept succeeds again
          logging::get("api")->warn("accept paused, retried every 500 ms error=\"{}\"",
                                    std::strerror(error));
        }
        acceptFailing_ = true;
        watchListener(false);
      }
      return;  // EAGAIN (another thread took it), or the client gave up (ECONNABORTED)
    }
    acceptFailing_ = false;
    if (listenSockets_->tls != nullptr) {
      startHandshake(fd, ss);
    } else {
      adoptAccepted(fd, ss, nullptr);
    }
  }
}

// `ssl`: a TLS connection's, its handshake made (the peer frees it).
void ConnectionTransport::adoptAccepted(int fd, const sockaddr_storage& ss, ssl_st* ssl) {
  PeerPtr peer;
  try {
    auto address = Pistache::Address::fromUnix(
        reinterpret_cast<sockaddr*>(const_cast<sockaddr_storage*>(&ss)));
    peer = ssl != nullptr ? Pistache::Tcp::Peer::CreateSSL(fd, address, ssl)
                          : Pistache::Tcp::Peer::Create(fd, address);
    ssl = nullptr;
    accepted_ = {fd, ipOf(ss)};
    handleNewPeer(peer);  // peers, ConnectionHandler::onConnection, epoll (edge-triggered)
    accepted_.fd = -1;
  } catch (const std::exception& e) {
    accepted_.fd = -1;
    logging::get("api")->error("connection not adopted error=\"{}\"", e.what());
    if (peer && peers.erase(fd) > 0) {
      handler_->onDisconnection(peer);
    }
    freeTls(ssl);  // not yet the peer's
    ::close(fd);
  }
}

std::optional<IpAddress> ConnectionTransport::addressOf(const PeerPtr& peer) const {
  return accepted_.fd == peer->fd() ? accepted_.address : peerAddress(peer->fd());
}

// Whether drop() may close a connection without Pistache's removePeer, whose
// epoll_ctl(DEL) nginx does not make either: close(2) takes the socket out of every epoll
// set when it drops the last reference to it, and nothing else holds one: accept4 made it
// close-on-exec, and the only dup(2) of it (writeAnswer in server.cpp, for an answer handed
// to Pistache's queue) lives while that answer is counted in ConnectionState::outstanding.
// (A process being spawned holds the descriptors until its exec: an event of the old
// socket then names a descriptor number that may be reused; a spurious event is harmless,
// the reads stop at EAGAIN.) Only for connections this transport accepted, not TLS.
bool ConnectionTransport::closesAtOnce(const PeerPtr& peer, const ConnectionState* state) const {
  return listenFd_ >= 0 && peer->ssl() == nullptr && state != nullptr &&
         state->outstanding.load() == 0;
}

// What removePeer does but the epoll_ctl(DEL). Pistache's write-queue entry for the
// descriptor (private to its Transport) stays: empty, as no write is queued, and taken
// over by the next connection given that descriptor number (handleNewPeer keeps an
// existing one); at most one per descriptor number.
void ConnectionTransport::closeAtOnce(const PeerPtr& peer) {
  const int fd = peer->fd();
  peers.erase(fd);
  ::close(fd);
}

void ConnectionTransport::linger(const PeerPtr& peer, std::shared_ptr<ConnectionState> state) {
  constexpr int64_t kLingerMs = 1000;  // past two timer turns: the queue has run meanwhile
  ::shutdown(peer->fd(), SHUT_RDWR);
  lingering_[peer->fd()] = Lingering{peer, std::move(state), Awaiting::nowMs() + kLingerMs};
}

void ConnectionTransport::closeLingering() {
  const int64_t nowMs = Awaiting::nowMs();
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    const Lingering& l = it->second;
    if (l.state->outstanding.load() > 0 && nowMs < l.untilMs) {
      ++it;
      continue;
    }
    const auto peer = peers.find(it->first);
    if (peer != peers.end() && peer->second == l.peer) {
      removePeer(l.peer);
    }
    it = lingering_.erase(it);
  }
}

}  // namespace chipmunk::api
