// SPDX-License-Identifier: MIT
// Native TLS handshakes on the I/O threads (issue #19). Pistache 0.0.5's Listener ran
// SSL_accept on a blocking socket in its one accept thread: a client that connected and
// never finished its handshake stalled every new TLS connection (upstream #1104), and all
// handshakes shared one core whatever [Server] threads said. Here the thread that accepted
// the connection (api/server_accept.cpp) drives SSL_do_handshake on the non-blocking socket
// as its bytes arrive, then adopts the connection as a Pistache TLS peer (Peer::CreateSSL,
// Transport::handleNewPeer), which Pistache reads with SSL_read as before. A handshake not
// made within header_timeout is dropped; at most kMaxHandshakes wait per I/O thread, of them
// at most kMaxHandshakesPerSource from one client address.
#include <netinet/in.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pistache/os.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/server_accept.hpp"
#include "api/server_transport.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

using Pistache::Polling::NotifyOn;

// Handshakes in progress per I/O thread, and of them from one client address (an IPv6
// /64); a connection beyond either is closed at once. One address with many half-open
// handshakes (each held up to header_timeout) takes at most 64 of a thread's 1024 places:
// the others stay for everyone else. A NAT's clients share its 64, ample for handshakes
// that take milliseconds.
constexpr size_t kMaxHandshakes = 1024;
constexpr uint32_t kMaxHandshakesPerSource = 64;

// The client's address as bytes, the key of handshakesFrom_: an IPv4 address, an IPv6
// one's /64 (one site's prefix: a host has a whole /64 to pick addresses from), an
// IPv4-mapped IPv6 address as its IPv4 one.
std::string sourceKey(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    return std::string(reinterpret_cast<const char*>(&in.sin_addr), 4);
  }
  if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    const auto* bytes = reinterpret_cast<const char*>(&in6.sin6_addr);
    return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) ? std::string(bytes + 12, 4)
                                                : std::string(bytes, 8);
  }
  return std::string();
}

std::string tlsErrors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    out += out.empty() ? text : std::string("; ") + text;
  }
  return out;
}

}  // namespace

ssl_ctx_st* makeTlsContext(const std::string& certificate, const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    throw std::runtime_error("cannot set up TLS: " + tlsErrors());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);  // BREACH, CRIME
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) <= 0 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) <= 0 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    const std::string why = tlsErrors();
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot load the TLS certificate or key: " + why);
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

void freeTlsContext(ssl_ctx_st* context) {
  SSL_CTX_free(context);  // null: nothing
}

void ConnectionTransport::freeTls(ssl_st* ssl) {
  SSL_free(ssl);  // null: nothing
}

void ConnectionTransport::startHandshake(int fd, const sockaddr_storage& ss) {
  std::string source = sourceKey(ss);
  const auto from = handshakesFrom_.find(source);
  const uint32_t fromSource = from == handshakesFrom_.end() ? 0 : from->second;
  SSL* ssl = handshakes_.size() < kMaxHandshakes && fromSource < kMaxHandshakesPerSource
                 ? SSL_new(listenSockets_->tls)
                 : nullptr;
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
    return;
  }
  SSL_set_accept_state(ssl);
  try {
    poller_->addFd(fd, Pistache::Flags<NotifyOn>(NotifyOn::Read), Pistache::Polling::Tag(fd),
                   Pistache::Polling::Mode::Edge);
  } catch (const std::exception& e) {
    logging::get("api")->error("connection not adopted error=\"{}\"", e.what());
    SSL_free(ssl);
    ::close(fd);
    return;
  }
  ++handshakesFrom_[std::move(source)];
  const auto it =
      handshakes_.emplace(fd, Handshake{ssl, ss, std::chrono::steady_clock::now()}).first;
  continueHandshake(it);  // the ClientHello is usually there already (TCP_DEFER_ACCEPT)
}

void ConnectionTransport::continueHandshake(Handshakes::iterator it) {
  const int fd = it->first;
  SSL* ssl = it->second.ssl;
  const int done = SSL_do_handshake(ssl);
  if (done == 1) {
    const sockaddr_storage address = it->second.address;
    endHandshake(it);
    try {
      poller_->removeFd(fd);  // handleNewPeer registers it again, as Pistache's
    } catch (const std::exception&) {
      SSL_free(ssl);
      ::close(fd);
      return;
    }
    adoptAccepted(fd, address, ssl);
    return;
  }
  const int error = SSL_get_error(ssl, done);
  ERR_clear_error();
  if (error == SSL_ERROR_WANT_READ) {
    return;  // the next bytes are another edge
  }
  if (error == SSL_ERROR_WANT_WRITE) {
    try {
      poller_->rearmFd(fd, Pistache::Flags<NotifyOn>(NotifyOn::Read | NotifyOn::Write),
                       Pistache::Polling::Tag(fd), Pistache::Polling::Mode::Edge);
      return;
    } catch (const std::exception&) {
    }
  }
  failHandshake(it);  // not TLS, refused, or the client went away: as Pistache, not logged
}

void ConnectionTransport::failHandshake(Handshakes::iterator it) {
  SSL_free(it->second.ssl);
  ::close(it->first);  // out of the epoll set with it: nothing else holds the socket
  endHandshake(it);
}

void ConnectionTransport::endHandshake(Handshakes::iterator it) {
  const auto from = handshakesFrom_.find(sourceKey(it->second.address));
  if (from != handshakesFrom_.end() && --from->second == 0) {
    handshakesFrom_.erase(from);
  }
  handshakes_.erase(it);
}

// On the timer (500 ms): handshakes older than header_timeout, as a head would be.
void ConnectionTransport::expireHandshakes() {
  if (handshakes_.empty()) {
    return;
  }
  const auto oldest = std::chrono::steady_clock::now() - timeouts_.header;
  for (auto it = handshakes_.begin(); it != handshakes_.end();) {
    const auto next = std::next(it);
    if (it->second.since < oldest) {
      failHandshake(it);
    }
    it = next;
  }
}

}  // namespace chipmunk::api
