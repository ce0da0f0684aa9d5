// SPDX-License-Identifier: MIT
#include "api/server_accept.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <pistache/net.h>
#include <pistache/os.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "api/server_parser.hpp"
#include "api/server_transport.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

// Connections taken per readiness of the listening socket, as nginx without multi_accept:
// more waiting keep it readable (level-triggered), so the next epoll_wait says so again,
// and the other I/O threads get their share meanwhile.
constexpr int kAcceptsPerEvent = 1;

// The descriptor of Pistache's Epoll: its only member, private, and no accessor; the
// class is standard-layout, so the object and its first member share an address
// (C++17 [basic.compound]/4). Pistache's addFd cannot ask for EPOLLEXCLUSIVE.
int epollFdOf(const Pistache::Polling::Epoll& poller) {
  static_assert(std::is_standard_layout_v<Pistache::Polling::Epoll> &&
                    sizeof(Pistache::Polling::Epoll) == sizeof(int),
                "Pistache's Epoll is no longer a bare descriptor");
  return *reinterpret_cast<const int*>(&poller);
}

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

AcceptingServer::AcceptingServer(const std::string& host, uint16_t port, int backlog) {
  addrinfo hints{};
  hints.ai_family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    throw std::runtime_error(std::string("cannot resolve listen address: ") + gai_strerror(rc));
  }
  int error = 0;
  for (const addrinfo* a = found; a != nullptr && listenFd_ < 0; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    const int one = 1;
    if (fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, backlog) == 0) {
      listenFd_ = fd;
    } else {
      error = errno;
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  ::freeaddrinfo(found);
  if (listenFd_ < 0) {
    throw std::runtime_error(std::strerror(error));
  }
}

AcceptingServer::~AcceptingServer() {
  shutdown();
}

void AcceptingServer::start(size_t threads, const std::shared_ptr<ConnectionTransport>& prototype) {
  prototype->acceptFrom(listenFd_);
  reactor_ = std::make_unique<Pistache::Aio::Reactor>();
  reactor_->init(Pistache::Aio::AsyncContext(threads, "chipmunk-http"));
  reactor_->addHandler(prototype);  // a clone per thread, each watching listenFd_
  reactor_->run();
}

void AcceptingServer::shutdown() {
  if (reactor_) {
    reactor_->shutdown();
    reactor_.reset();  // joins the I/O threads
  }
  if (listenFd_ >= 0) {
    ::close(listenFd_);
    listenFd_ = -1;
  }
}

uint16_t AcceptingServer::port() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (listenFd_ < 0 || ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return 0;
  }
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

// ConnectionTransport's accepting half (api/server_transport.hpp).

// Watches the listening socket in this thread's epoll (on), or stops (off: out of
// descriptors, see acceptConnections). Level-triggered and exclusive: a connection
// waiting wakes one I/O thread blocked in epoll_wait, not all of them.
void ConnectionTransport::watchListener(bool on) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = static_cast<uint64_t>(listenFd_);
  if (::epoll_ctl(epollFd_, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listenFd_, &ev) != 0 && on) {
    throw std::runtime_error(std::string("cannot watch the listening socket: ") +
                             std::strerror(errno));
  }
  acceptPaused_ = !on;
}

void ConnectionTransport::registerListener(const Pistache::Polling::Epoll& poller) {
  epollFd_ = epollFdOf(poller);
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
    adoptAccepted(fd, ss);
  }
}

void ConnectionTransport::adoptAccepted(int fd, const sockaddr_storage& ss) {
  PeerPtr peer;
  try {
    peer = Pistache::Tcp::Peer::Create(fd, Pistache::Address::fromUnix(reinterpret_cast<sockaddr*>(
                                               const_cast<sockaddr_storage*>(&ss))));
    accepted_ = {fd, ipOf(ss)};
    handleNewPeer(peer);  // peers, ConnectionHandler::onConnection, epoll (edge-triggered)
    accepted_.fd = -1;
  } catch (const std::exception& e) {
    accepted_.fd = -1;
    logging::get("api")->error("connection not adopted error=\"{}\"", e.what());
    if (peer && peers.erase(fd) > 0) {
      handler_->onDisconnection(peer);
    }
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
bool ConnectionTransport::closesAtOnce(const PeerPtr& peer) const {
  if (listenFd_ < 0 || peer->ssl() != nullptr) {
    return false;
  }
  const auto it = conns_.find(peer->fd());
  return it != conns_.end() && it->second.peer == peer && it->second.state->outstanding.load() == 0;
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

}  // namespace chipmunk::api
