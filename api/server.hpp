// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/service.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class SlowAuthPool;
class HookListener;
class AcceptingServer;

// chipmunk-api's HTTP server: Pistache's reactor in front of ApiService. Pistache is used
// for its reactor threads, peers and TLS reads; our transport (server_transport.hpp)
// accepts connections on the I/O threads (server_accept.hpp, in the place of Pistache's
// listener), reads plain connections and applies the timeouts; requests are parsed by our
// RequestReader (http_wire_reader.hpp) and responses are written by us
// so that every header is ours: HTTP/1.1 connections stay open unless the client asks
// otherwise (Pistache 0.0.5 would answer "Connection: Close" to every request that does
// not send a Connection header), HEAD gets GET's headers without a body, and
// WWW-Authenticate / Retry-After / Allow are sent (Pistache drops raw response headers).
class ApiServer {
 public:
  ApiServer(const config::ApiConfig& config, std::shared_ptr<Store> store);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and serves on background threads. Throws std::runtime_error on failure.
  void start();
  uint16_t port() const;
  // "127.0.0.1:8080" or "[::]:8080" with the bound port.
  std::string boundAddress() const;
  // See ApiService::reload.
  void reload(const config::ApiConfig& config, std::shared_ptr<const TokenTable> tokens = nullptr,
              std::shared_ptr<DirectoryCache> directory = nullptr);
  // Gateway mode: told of every record change after the hooks (nullptr: nobody).
  void setPushListener(std::shared_ptr<RecordListener> push);
  void shutdown();
  ApiService& service() { return *service_; }

 private:
  config::ApiConfig config_;
  std::shared_ptr<ApiService> service_;
  std::shared_ptr<SlowAuthPool> pool_;
  // Record writes (/set, /nic/update): off the I/O threads, so that no request waits
  // behind another's fsync. 16 threads: they mostly wait for fsyncs, and those waiting
  // together share one (group commit); more measured no faster (bench/store_writes.sh).
  // 256 per source, as a NAT or a proxy may carry many clients.
  std::shared_ptr<SlowAuthPool> writers_;
  std::shared_ptr<HookListener> hooks_;
  std::unique_ptr<AcceptingServer> accepting_;  // api/server_accept.hpp
  std::thread maintenance_;                     // record expiry, memory trims (api/memory_trim.hpp)
  std::mutex maintenanceMutex_;
  std::condition_variable maintenanceCv_;
  bool stopping_ = false;
};

}  // namespace chipmunk::api
