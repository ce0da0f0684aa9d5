// SPDX-License-Identifier: MIT
#include "api/store_factory.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "api/file_store.hpp"
#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "api/pg_store.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

// How long a request waits for a free database connection before it is answered 503.
constexpr std::chrono::milliseconds kPoolWait{2000};
// A database still starting (booted together with this service) is waited for this long;
// any other failure to connect (a wrong password, no such database) ends the start at once.
constexpr std::chrono::seconds kStartWait{15};

bool stillStarting(const std::string& error) {
  for (const char* sign : {"starting up", "Connection refused", "No such file or directory",
                           "shutting down", "in recovery"}) {
    if (error.find(sign) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Connects (waiting bounded for a database that boots) and brings the schema up to date.
std::shared_ptr<Store> openPostgresql(const config::ApiConfig& config) {
  auto log = logging::get("store");
  auto pool = std::make_shared<pg::Pool>(config.postgresqlConninfo,
                                         static_cast<size_t>(config.postgresqlPoolSize), kPoolWait);
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  pg::Pool::Lease lease;
  for (bool logged = false;;) {
    lease = pool->acquire();
    const std::string error = lease ? std::string() : pool->lastError();
    if (lease) {
      break;
    }
    if (!stillStarting(error) || std::chrono::steady_clock::now() >= deadline) {
      // libpq's message names the host or socket, never the password.
      throw std::runtime_error("cannot connect to PostgreSQL ([Store] postgresql): " + error);
    }
    if (!logged) {
      log->warn("PostgreSQL not reachable yet; waiting up to {}s error=\"{}\"", kStartWait.count(),
                error);
      logged = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string error;
  if (!pg::migrateSchema(*lease, error)) {
    throw std::runtime_error("PostgreSQL schema: " + error);
  }
  log->info("store backend=postgresql schema_version={} pool_size={}", pg::schemaVersion(),
            config.postgresqlPoolSize);
  return std::make_shared<PgStore>(std::move(pool), config.flushInterval);
}

}  // namespace

std::shared_ptr<Store> openStore(const config::ApiConfig& config) {
  if (config.storeBackend == config::StoreBackend::kPostgresql) {
    return openPostgresql(config);
  }
  return std::make_shared<FileStore>(config.dataDir);
}

}  // namespace chipmunk::api
