// SPDX-License-Identifier: MIT
#pragma once

// The two Store implementations behind one test interface, so that the store contract
// (tests/api/store_contract_test.cpp) runs the same assertions against each: the file
// store in a temporary directory, and the PostgreSQL store on a real PostgreSQL.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "api/file_store.hpp"
#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "api/pg_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

class FileBackend {
 public:
  FileBackend() { reopen(); }
  api::Store& store() { return *store_; }
  // A new store object on the same data: what a restart finds.
  void reopen() {
    store_.reset();
    store_ = std::make_unique<api::FileStore>(dir_.path());
  }
  // Writes of record `name` fail (a directory where the temporary file goes) until healed.
  void breakWrites(const std::string& name) {
    for (const char* suffix : {".cm.tmp", ".json.tmp"}) {
      ::mkdir(dir_.file("." + name + suffix).c_str(), 0755);
    }
  }
  void healWrites(const std::string& name) {
    for (const char* suffix : {".cm.tmp", ".json.tmp"}) {
      ::rmdir(dir_.file("." + name + suffix).c_str());
    }
  }

 private:
  TempDir dir_;
  std::unique_ptr<api::FileStore> store_;
};

class PgBackend {
 public:
  PgBackend() {
    const bool started = server_.start();
    INFO(server_.log());
    REQUIRE(started);
    std::string error;
    auto conn = api::pg::Connection::open(server_.conninfo(), error);
    REQUIRE(conn);
    REQUIRE(api::pg::migrateSchema(*conn, error));
    reopen();
  }
  api::Store& store() { return *store_; }
  api::PgStore& pgStore() { return *store_; }
  PostgresServer& server() { return server_; }
  void reopen() {
    store_.reset();
    store_ = open();
  }
  // Another replica on the same database.
  std::unique_ptr<api::PgStore> open(
      std::chrono::seconds flushInterval = std::chrono::seconds(60)) {
    auto pool =
        std::make_shared<api::pg::Pool>(server_.conninfo(), 4, std::chrono::milliseconds(500));
    return std::make_unique<api::PgStore>(std::move(pool), flushInterval);
  }
  // Writes of record `name` fail (a trigger raises) until healed.
  void breakWrites(const std::string& name) {
    server_.psql(
        "CREATE FUNCTION chipmunk_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN IF NEW.name = '" +
        name +
        "' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END$$;"
        "CREATE TRIGGER chipmunk_test_refuse BEFORE INSERT OR UPDATE ON chipmunk_records "
        "FOR EACH ROW EXECUTE FUNCTION chipmunk_test_refuse()");
  }
  void healWrites(const std::string&) {
    server_.psql(
        "DROP TRIGGER chipmunk_test_refuse ON chipmunk_records;"
        "DROP FUNCTION chipmunk_test_refuse()");
  }

 private:
  PostgresServer server_;
  std::unique_ptr<api::PgStore> store_;
};

}  // namespace chipmunk::test
