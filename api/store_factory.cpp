// SPDX-License-Identifier: MIT
#include "api/store_factory.hpp"

#include <stdexcept>

#include "api/file_store.hpp"

namespace chipmunk::api {

std::shared_ptr<Store> openStore(const config::ApiConfig& config) {
  if (config.storeBackend == config::StoreBackend::kPostgresql) {
    throw std::runtime_error("[Store] backend = postgresql is not available yet");
  }
  return std::make_shared<FileStore>(config.dataDir);
}

}  // namespace chipmunk::api
