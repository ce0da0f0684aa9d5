// SPDX-License-Identifier: MIT
// The PostgreSQL schema, as versioned migrations. A released migration is never edited:
// a change is a new entry at the end of kMigrations.
#include "api/pg_schema.hpp"

#include <string>
#include <vector>

namespace chipmunk::api::pg {
namespace {

// Any constant key, the same for every replica: serializes migrations.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7270557302)";

struct Migration {
  int version;
  std::vector<std::string> statements;
};

// Version 1: records, users, hosts, tokens, the outbox and the push state.
std::vector<std::string> version1() {
  return {
      // -- records (the Store, api/pg_store.cpp) --
      // COLLATE "C": names sort bytewise, as std::string does, so that a page's cursor
      // (listAfter: name > $1) agrees with the order of list().
      "CREATE TABLE chipmunk_records ("
      " name text COLLATE \"C\" PRIMARY KEY,"
      " ip text, ipv4 text, ipv6 text,"
      " first_seen bigint NOT NULL DEFAULT 0,"
      " changed_at bigint NOT NULL DEFAULT 0,"
      " last_seen bigint NOT NULL DEFAULT 0,"
      " ttl bigint NOT NULL DEFAULT 0,"
      " expired boolean NOT NULL DEFAULT false,"
      " expired_at bigint NOT NULL DEFAULT 0,"
      " metadata jsonb NOT NULL DEFAULT '{}'::jsonb,"
      // last_seen + ttl while the record can expire; NULL otherwise (the expiry index)
      " expires_at bigint,"
      // bumped by every write but the batched last_seen: a writer's compare-and-set
      " revision bigint NOT NULL DEFAULT 0)",
      "CREATE INDEX chipmunk_records_expires ON chipmunk_records (expires_at)"
      " WHERE expires_at IS NOT NULL",
      // -- users, hosts, tokens (the directory, api/directory_pg.cpp) --
      "CREATE TABLE chipmunk_users ("
      " name text PRIMARY KEY,"
      " secret text NOT NULL,"  // always a $pbkdf2-sha256$ hash
      " created_at bigint NOT NULL DEFAULT 0)",
      "CREATE TABLE chipmunk_hosts ("
      " name text PRIMARY KEY,"
      " owner text NOT NULL)",
      "CREATE INDEX chipmunk_hosts_owner ON chipmunk_hosts (owner)",
      "CREATE TABLE chipmunk_tokens ("
      " id text PRIMARY KEY,"
      " owner text NOT NULL,"             // a user or a host name
      " hash text NOT NULL,"              // SHA-256 of the secret, hex
      " hosts text NOT NULL DEFAULT '',"  // comma-separated; empty: the owner's names
      " created_at bigint NOT NULL DEFAULT 0)",
      "CREATE INDEX chipmunk_tokens_owner ON chipmunk_tokens (owner)",
      // One row, bumped by every directory change in the same transaction: replicas
      // poll it once a second and reload the directory when it moved.
      "CREATE TABLE chipmunk_directory_version ("
      " id integer PRIMARY KEY CHECK (id = 1),"
      " version bigint NOT NULL)",
      "INSERT INTO chipmunk_directory_version VALUES (1, 0)",
      // -- the outbox: one row per change or expiry, written in the same transaction
      // as the record; dispatched once across replicas --
      "CREATE TABLE chipmunk_outbox ("
      " id bigserial PRIMARY KEY,"
      " kind text NOT NULL,"  // 'changed' or 'expired'
                              // NULL when the writer does not know it (the store knows
                              // records, not owners): the dispatcher resolves it from the
                              // configuration and the directory
      " owner text,"
      " name text NOT NULL,"
      " before jsonb,"
      " after jsonb,"
      " created_at bigint NOT NULL DEFAULT 0,"
      // Owned by the dispatcher (api/outbox.cpp): the hook already ran (a push is
      // being retried), how often the push was tried, and not before when (Unix s).
      " hook_done boolean NOT NULL DEFAULT false,"
      " attempts integer NOT NULL DEFAULT 0,"
      " not_before bigint NOT NULL DEFAULT 0)",
      // The claim looks for an earlier event of the same record (per-record order).
      "CREATE INDEX chipmunk_outbox_name ON chipmunk_outbox (name, id)",
      // Wakes the replicas' dispatchers (LISTEN chipmunk_outbox) at commit; one
      // notification per transaction, however many rows it added.
      "CREATE FUNCTION chipmunk_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS"
      " $$BEGIN PERFORM pg_notify('chipmunk_outbox', ''); RETURN NULL; END$$",
      "CREATE TRIGGER chipmunk_outbox_notify AFTER INSERT ON chipmunk_outbox"
      " FOR EACH STATEMENT EXECUTE FUNCTION chipmunk_outbox_notify()",
      // -- the gateway push state, per push target --
      "CREATE TABLE chipmunk_push_state ("
      " label text PRIMARY KEY,"
      " state jsonb NOT NULL DEFAULT '{}'::jsonb)",
  };
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, version1()},
      // Version 2: no NOTIFY in the writing transaction. A notifying transaction holds
      // PostgreSQL's notification lock through its commit's WAL flush, so the trigger made
      // every change of the cluster commit one after another; the store now wakes the
      // dispatchers after its commit, from a session of its own (api/pg_store_wake.hpp).
      {2,
       {
           "DROP TRIGGER chipmunk_outbox_notify ON chipmunk_outbox",
           "DROP FUNCTION chipmunk_outbox_notify()",
       }},
      // Version 3: the write token of the change that last wrote a record (PgStore::update):
      // a change whose commit went unheard (the connection broke) and that runs again finds
      // its own token and is answered "saved", as it was, not "unchanged". Nullable, no
      // default: added without rewriting the table.
      {3,
       {
           "ALTER TABLE chipmunk_records ADD COLUMN write_token text",
       }},
  };
  return kMigrations;
}

}  // namespace

int schemaVersion() {
  return migrations().back().version;
}

int databaseSchemaVersion(Connection& conn) {
  auto exists = conn.exec("SELECT to_regclass('chipmunk_schema') IS NOT NULL");
  if (!exists.ok() || exists.rows() != 1) {
    return -1;
  }
  if (exists.get(0, 0) != "t") {
    return 0;
  }
  auto version = conn.exec("SELECT coalesce(max(version), 0) FROM chipmunk_schema");
  if (!version.ok() || version.rows() != 1) {
    return -1;
  }
  return static_cast<int>(version.getInt(0, 0));
}

namespace {

// Inside the migration's transaction: applies `m` unless the database has it already.
bool applyMigration(Connection& conn, const Migration& m, std::string& error) {
  if (!execAll(conn,
               {kMigrationLock,
                "CREATE TABLE IF NOT EXISTS chipmunk_schema (version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"},
               error)) {
    return false;
  }
  const int current = databaseSchemaVersion(conn);
  if (current < 0) {
    error = "cannot read the schema version";
    return false;
  }
  if (current > schemaVersion()) {
    error = "the database's schema is version " + std::to_string(current) +
            ", newer than this chipmunk-api knows (" + std::to_string(schemaVersion()) +
            "): upgrade chipmunk-api";
    return false;
  }
  if (current >= m.version) {
    return true;
  }
  if (!execAll(conn, m.statements, error)) {
    error = "schema migration " + std::to_string(m.version) + ": " + error;
    return false;
  }
  auto r =
      conn.exec("INSERT INTO chipmunk_schema (version) VALUES ($1)", {std::to_string(m.version)});
  if (!r.ok()) {
    error = r.error();
    return false;
  }
  return true;
}

}  // namespace

bool migrateSchema(Connection& conn, std::string& error) {
  for (const auto& m : migrations()) {
    if (!inTransaction(
            conn, [&](std::string& e) { return applyMigration(conn, m, e); }, error)) {
      return false;
    }
  }
  return true;
}

}  // namespace chipmunk::api::pg
