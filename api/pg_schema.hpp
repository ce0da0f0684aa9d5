// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "api/pg_connection.hpp"

namespace chipmunk::api::pg {

// The newest schema version this build knows.
int schemaVersion();

// Brings the database to schemaVersion(): applies the missing migrations in order, each in
// its own transaction, under an advisory lock so that replicas starting together apply
// each once. False (and `error`) when a migration fails or the database's schema is newer
// than this build (an older replica must not write into a newer schema).
bool migrateSchema(Connection& conn, std::string& error);

// The database's schema version (0: none yet), or -1 when it cannot be read.
int databaseSchemaVersion(Connection& conn);

}  // namespace chipmunk::api::pg
