// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

// A real PostgreSQL (Debian's postgresql, /usr/lib/postgresql/<version>/bin) in a temporary
// directory: `initdb` (trust authentication, superuser "postgres"), then the postmaster in
// the foreground, listening only on a Unix socket in that directory (no TCP port). Run as
// the "postgres" system user when the tests run as root (initdb refuses root). Stopped by
// PID (SIGINT: fast shutdown, then SIGKILL) on destruction.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // initdb on the first call, then starts the server and waits until it accepts
  // connections. False (see log()) when PostgreSQL is missing or does not come up.
  bool start();
  // Fast shutdown (SIGINT to the postmaster), waiting for it to exit; the data is kept, so
  // start() brings the same database back.
  void stop();
  // SIGKILL to the postmaster (a crash): start() then runs crash recovery.
  void kill();
  bool running();
  pid_t pid() const;

  // libpq connection string for database `database` ("postgres" exists; createDatabase()
  // makes others).
  std::string conninfo(const std::string& database = "postgres") const;
  bool createDatabase(const std::string& name);
  // Runs `sql` with psql -At against `database`; its output, trimmed ("" on error; see
  // log()).
  std::string psql(const std::string& sql, const std::string& database = "postgres");
  // The Unix socket's directory and port, for tools that take them apart (pgbench -h -p).
  std::string socketDir() const { return dir_.path(); }
  int port() const { return 5432; }
  // The directory of PostgreSQL's programs (pgbench, psql...), "" when not installed.
  static std::string binDir();
  std::string log() const;

 private:
  std::vector<std::string> asPostgres(std::vector<std::string> argv) const;

  TempDir dir_;
  bool initialized_ = false;
  std::unique_ptr<ChildProcess> postmaster_;
};

}  // namespace chipmunk::test
