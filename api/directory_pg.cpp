// SPDX-License-Identifier: MIT
// The PostgreSQL backend of the directory: chipmunk_users, chipmunk_hosts, chipmunk_tokens
// (api/pg_schema.cpp). Every edit runs in one transaction that also bumps the single row of
// chipmunk_directory_version; each replica asks for that number once a second (one
// primary-key read) and, when it moved, re-validates what it cached (the server does not
// load this directory: it looks names up, api/directory_pg_lookup.cpp and
// api/directory_cache.hpp). So a change is seen by every replica within about a second, and
// the steady cost is one tiny query per replica per second, whatever the number of users.
#include <mutex>

#include "api/directory.hpp"
#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kBump =
    "UPDATE chipmunk_directory_version SET version = version + 1 WHERE id = 1";

struct Step {
  std::string sql;
  pg::Params params;
  std::string unlessRows;  // non-empty: the step must return a row, else this is the error
};

std::string joinHosts(const std::vector<std::string>& hosts) {
  std::string out;
  for (const auto& h : hosts) {
    out += (out.empty() ? "" : ",") + h;
  }
  return out;
}

class PgDirectory : public Directory {
 public:
  PgDirectory(std::string conninfo, std::unique_ptr<pg::Connection> conn)
      : conninfo_(std::move(conninfo)),
        conn_(std::move(conn)),
        lookup_(openPgDirectoryLookup(conninfo_)) {}

  // Directory
  bool changed() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!connected()) {
      return false;  // asked again next second
    }
    auto r = conn_->exec("SELECT version FROM chipmunk_directory_version WHERE id = 1");
    return r.ok() && r.rows() == 1 && (!loaded_ || r.getInt(0, 0) != version_);
  }
  bool load(DirectoryData& out, std::string& error) override;
  DirectoryLookup* lookup() override { return lookup_.get(); }
  bool putUser(const DirectoryUser& user, bool mustBeNew, bool mustExist,
               std::string& error) override {
    const pg::Params p{user.name, user.hash};
    if (mustBeNew) {
      return run({{"INSERT INTO chipmunk_users (name, secret, created_at) VALUES ($1, $2, "
                   "extract(epoch from now())::bigint) ON CONFLICT DO NOTHING RETURNING name",
                   p, "user " + user.name + " already exists"}},
                 error);
    }
    if (mustExist) {
      return run({{"UPDATE chipmunk_users SET secret = $2 WHERE name = $1 RETURNING name", p,
                   "no user " + user.name + " in the directory"}},
                 error);
    }
    return run({{"INSERT INTO chipmunk_users (name, secret) VALUES ($1, $2) ON CONFLICT (name) "
                 "DO UPDATE SET secret = excluded.secret",
                 p,
                 {}}},
               error);
  }
  bool deleteUser(const std::string& name, std::string& error) override {
    const pg::Params p{name};
    return run({{"DELETE FROM chipmunk_tokens WHERE owner = $1 OR owner IN "
                 "(SELECT name FROM chipmunk_hosts WHERE owner = $1)",
                 p,
                 {}},
                {"DELETE FROM chipmunk_hosts WHERE owner = $1", p, {}},
                {"DELETE FROM chipmunk_users WHERE name = $1 RETURNING name", p,
                 "no user " + name + " in the directory"}},
               error);
  }
  bool putHost(const DirectoryHost& host, std::string& error) override {
    return run({{"INSERT INTO chipmunk_hosts (name, owner) VALUES ($1, $2) ON CONFLICT (name) "
                 "DO UPDATE SET owner = excluded.owner",
                 {host.name, host.owner},
                 {}}},
               error);
  }
  bool deleteHost(const std::string& name, std::string& error) override {
    return run({{"DELETE FROM chipmunk_tokens WHERE owner = $1", {name}, {}},
                {"DELETE FROM chipmunk_hosts WHERE name = $1 RETURNING name",
                 {name},
                 "no host " + name + " in the directory"}},
               error);
  }
  bool addToken(const DirectoryToken& t, std::string& error) override {
    return run({{"INSERT INTO chipmunk_tokens (id, owner, hash, hosts, created_at) VALUES "
                 "($1, $2, $3, $4, $5)",
                 {t.id, t.owner, t.digest, joinHosts(t.hosts), std::to_string(t.created)},
                 {}}},
               error);
  }
  bool revokeToken(const std::string& id, std::string& error) override {
    return run({{"DELETE FROM chipmunk_tokens WHERE id = $1 RETURNING id", {id}, "no token " + id}},
               error);
  }

 private:
  bool connected() {
    if (conn_ && conn_->healthy()) {
      return true;
    }
    std::string error;
    conn_ = pg::Connection::open(conninfo_, error);
    return conn_ != nullptr;
  }
  bool run(const std::vector<Step>& steps, std::string& error);

  std::mutex mutex_;
  std::string conninfo_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<DirectoryLookup> lookup_;
  bool loaded_ = false;
  long long version_ = 0;
};

bool PgDirectory::run(const std::vector<Step>& steps, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!connected()) {
    error = "cannot reach the database";
    return false;
  }
  if (auto begin = conn_->exec("BEGIN"); !begin.ok()) {
    error = begin.error();
    return false;
  }
  for (const auto& step : steps) {
    auto r = conn_->exec(step.sql, step.params);
    if (!r.ok() || (!step.unlessRows.empty() && r.rows() == 0)) {
      error = r.ok() ? step.unlessRows : r.error();
      conn_->exec("ROLLBACK");
      return false;
    }
  }
  auto bump = conn_->exec(kBump);
  auto commit = bump.ok() ? conn_->exec("COMMIT") : pg::Result();
  if (!bump.ok() || !commit.ok()) {
    error = bump.ok() ? commit.error() : bump.error();
    conn_->exec("ROLLBACK");
    return false;
  }
  return true;
}

bool PgDirectory::load(DirectoryData& out, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!connected()) {
    error = "cannot reach the database";
    return false;
  }
  // One snapshot for the version and the three tables.
  conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  auto version = conn_->exec("SELECT version FROM chipmunk_directory_version WHERE id = 1");
  auto users = conn_->exec("SELECT name, secret FROM chipmunk_users");
  auto hosts = conn_->exec("SELECT name, owner FROM chipmunk_hosts");
  auto tokens = conn_->exec("SELECT id, owner, hash, hosts, created_at FROM chipmunk_tokens");
  conn_->exec("COMMIT");
  for (const auto* r : {&version, &users, &hosts, &tokens}) {
    if (!r->ok()) {
      error = "reading the directory: " + r->error();
      return false;
    }
  }
  DirectoryData d;
  for (int i = 0; i < users.rows(); ++i) {
    d.users.push_back({std::string(users.get(i, 0)), std::string(users.get(i, 1))});
  }
  for (int i = 0; i < hosts.rows(); ++i) {
    d.hosts.push_back({std::string(hosts.get(i, 0)), std::string(hosts.get(i, 1))});
  }
  for (int i = 0; i < tokens.rows(); ++i) {
    d.tokens.push_back(tokenFromRow(tokens, i));
  }
  version_ = version.rows() == 1 ? version.getInt(0, 0) : 0;
  loaded_ = true;  // a bad row is reported once, not every second
  // Rows written by hand are checked like the file backend's lines (the "line" is the
  // row's position after the header): a bad one refuses the whole directory.
  DirectoryData checked;
  if (!parseUsers(formatUsers(d.users), "chipmunk_users", checked.users, error) ||
      !parseHosts(formatHosts(d.hosts), "chipmunk_hosts", checked.hosts, error) ||
      !parseTokens(formatTokens(d.tokens), "chipmunk_tokens", checked.tokens, error)) {
    return false;
  }
  out = std::move(checked);
  return true;
}

}  // namespace

std::unique_ptr<Directory> openPgDirectory(const std::string& conninfo, std::string& error) {
  auto conn = pg::Connection::open(conninfo, error);
  if (!conn || !pg::migrateSchema(*conn, error)) {
    return nullptr;
  }
  return std::make_unique<PgDirectory>(conninfo, std::move(conn));
}

}  // namespace chipmunk::api
