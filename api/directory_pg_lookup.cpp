// SPDX-License-Identifier: MIT
// Lookups in the PostgreSQL directory by key (DirectoryLookup): what a replica asks instead
// of loading a million users. Every call is one statement on the primary keys or on
// chipmunk_hosts_owner, through a small pool of its own connections (the store's pool
// serves the records); a pool that cannot give a connection within kWait is an outage.
#include <sstream>

#include "api/directory.hpp"
#include "api/pg_connection.hpp"

namespace chipmunk::api {
namespace {

constexpr size_t kConnections = 4;
constexpr std::chrono::milliseconds kWait{2000};

// A text[] literal of the keys (pg::arrayLiteral: every element quoted and escaped).
std::string textArray(const std::vector<std::string>& items) {
  return pg::arrayLiteral(pg::Params(items.begin(), items.end()));
}

class PgDirectoryLookup : public DirectoryLookup {
 public:
  explicit PgDirectoryLookup(const std::string& conninfo) : pool_(conninfo, kConnections, kWait) {}

  // DirectoryLookup
  long long version() override {
    const auto r = run("SELECT version FROM chipmunk_directory_version WHERE id = 1", {});
    return r.rows() == 1 ? r.getInt(0, 0) : 0;
  }
  std::vector<DirectoryUser> users(const std::vector<std::string>& names) override {
    const auto r = run("SELECT name, secret FROM chipmunk_users WHERE name = ANY($1::text[])",
                       {textArray(names)});
    std::vector<DirectoryUser> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({std::string(r.get(i, 0)), std::string(r.get(i, 1))});
    }
    return out;
  }
  std::vector<std::pair<std::string, config::DirectoryName>> names(
      const std::vector<std::string>& names) override {
    const auto r =
        run("SELECT n.name, u.name IS NOT NULL, h.owner, o.name IS NOT NULL "
            "FROM unnest($1::text[]) AS n(name) "
            "LEFT JOIN chipmunk_users u ON u.name = n.name "
            "LEFT JOIN chipmunk_hosts h ON h.name = n.name "
            "LEFT JOIN chipmunk_users o ON o.name = h.owner",
            {textArray(names)});
    std::vector<std::pair<std::string, config::DirectoryName>> out;
    for (int i = 0; i < r.rows(); ++i) {
      config::DirectoryName d;
      d.isUser = r.get(i, 1) == "t";
      d.hostOwner = std::string(r.get(i, 2));
      d.hostOwnerIsUser = r.get(i, 3) == "t";
      out.emplace_back(std::string(r.get(i, 0)), std::move(d));
    }
    return out;
  }
  std::vector<std::string> hostsOf(const std::string& owner) override {
    const auto r =
        run("SELECT h.name FROM chipmunk_hosts h WHERE h.owner = $1 AND NOT EXISTS "
            "(SELECT 1 FROM chipmunk_users u WHERE u.name = h.name) ORDER BY h.name LIMIT " +
                std::to_string(kMaxHostsOf),
            {owner});
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.emplace_back(r.get(i, 0));
    }
    return out;
  }
  std::vector<DirectoryToken> tokens(const std::vector<std::string>& ids) override {
    const auto r =
        run("SELECT id, owner, hash, hosts, created_at FROM chipmunk_tokens "
            "WHERE id = ANY($1::text[])",
            {textArray(ids)});
    std::vector<DirectoryToken> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(tokenFromRow(r, i));
    }
    return out;
  }

 private:
  // One statement, through the pool's retry rule (pg::Pool::run: a connection that broke
  // since its last use, the server restarted, is replaced once, not reported); throws
  // DirectoryUnavailable when it cannot be run.
  pg::Result run(const std::string& sql, const pg::Params& params) {
    pg::Result r;
    switch (pool_.run(sql, params, r)) {
      case pg::Pool::RunStatus::kOk:
        return r;
      case pg::Pool::RunStatus::kFailed:
        throw DirectoryUnavailable("directory lookup failed: " + r.error());
      case pg::Pool::RunStatus::kUnavailable:
        break;
    }
    throw DirectoryUnavailable("the directory's database cannot be reached: " + pool_.lastError());
  }

  pg::Pool pool_;
};

}  // namespace

DirectoryToken tokenFromRow(const pg::Result& rows, int row) {
  DirectoryToken t{std::string(rows.get(row, 0)),
                   std::string(rows.get(row, 1)),
                   std::string(rows.get(row, 2)),
                   {},
                   rows.getInt(row, 4)};
  std::istringstream hosts{std::string(rows.get(row, 3))};
  for (std::string h; std::getline(hosts, h, ',');) {
    t.hosts.push_back(h);
  }
  return t;
}

std::unique_ptr<DirectoryLookup> openPgDirectoryLookup(const std::string& conninfo) {
  return std::make_unique<PgDirectoryLookup>(conninfo);
}

}  // namespace chipmunk::api
