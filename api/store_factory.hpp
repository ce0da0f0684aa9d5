// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "api/store.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

// The store [Store] backend names: the file store in client_update_dir, or PostgreSQL.
// Throws std::runtime_error (a message without secrets) when it cannot be opened.
std::shared_ptr<Store> openStore(const config::ApiConfig& config);

}  // namespace chipmunk::api
