// SPDX-License-Identifier: MIT
// PgStore against pgbench on one throwaway PostgreSQL (tests/support/postgres_server.hpp):
// changed-address writes/s through PgStore::update at 1, 8 and 64 threads (a pool of as
// many connections, record notices on, as chipmunk-api runs it) next to pgbench's
// single-row upsert at as many clients, 5 s each; the time flush() takes for 100k unwritten
// last-seen times (what a shutdown costs); and putAll (what `chipmunk-api migrate` writes
// with) against put, records/s. Prints ratios; bounded in count and time.
// Usage: build/bench/pg_store_bench [records=100000] [clients="1 8 64"]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "api/pg_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace chipmunk;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Changed-address writes per second: `threads` writers for `duration`, each on its own 50
// records, every write a new address.
double storeWrites(api::PgStore& store, int threads, std::chrono::seconds duration) {
  std::atomic<long> saved{0};
  const auto start = Clock::now();
  const auto end = start + duration;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; Clock::now() < end; ++i) {
        const auto ip = *IpAddress::parse("198.51.100." + std::to_string(1 + i % 250));
        const auto r =
            store.recordIp("t" + std::to_string(t) + "-" + std::to_string(i % 50), ip, 1000 + i);
        saved += r.outcome == api::SetOutcome::kSaved ? 1 : 0;
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  return static_cast<double>(saved) / seconds(start);
}

// Records per second written by putAll in pages of 1000 (or by put one at a time).
double putRate(api::PgStore& store, int records, bool batched) {
  std::vector<api::HostRecord> page;
  const auto start = Clock::now();
  for (int i = 0; i < records; ++i) {
    api::HostRecord r;
    r.name = (batched ? "m" : "p") + std::to_string(i);
    r.ip = r.ipv4 = IpAddress::parse("192.0.2.7");
    r.firstSeen = r.changedAt = r.lastSeen = 5;
    page.push_back(r);
    if (!batched || page.size() == 1000 || i + 1 == records) {
      const bool ok = batched ? store.putAll(page) : store.put(page.front());
      if (!ok) {
        std::fprintf(stderr, "put failed\n");
      }
      page.clear();
    }
  }
  return records / seconds(start);
}

double pgbench(test::PostgresServer& server, int clients, int seconds) {
  test::TempDir dir;
  test::writeFile(dir.file("upsert.sql"),
                  "\\set id random(1, 1000)\n"
                  "INSERT INTO bench_kv (k, v) VALUES (:id, now()::text) ON CONFLICT (k) DO "
                  "UPDATE SET v = EXCLUDED.v;\n");
  server.psql("CREATE TABLE IF NOT EXISTS bench_kv (k int PRIMARY KEY, v text)");
  const std::string out = dir.file("out");
  test::runCommand(
      {test::PostgresServer::binDir() + "/pgbench", "-n", "-h", server.socketDir(), "-p", "5432",
       "-U", "postgres", "-c", std::to_string(clients), "-j", std::to_string(clients), "-T",
       std::to_string(seconds), "-f", dir.file("upsert.sql"), "postgres"},
      out, dir.file("err"));
  const std::string text = test::readFile(out);
  const auto at = text.find("tps = ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + 6);
}

}  // namespace

int main(int argc, char** argv) {
  const int records = argc > 1 ? std::atoi(argv[1]) : 100000;
  test::PostgresServer server;
  if (!server.start()) {
    std::fprintf(stderr, "PostgreSQL did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  std::string error;
  auto conn = api::pg::Connection::open(server.conninfo(), error);
  if (!conn || !api::pg::migrateSchema(*conn, error)) {
    std::fprintf(stderr, "schema: %s\n", error.c_str());
    return 1;
  }
  std::istringstream clients(argc > 2 ? argv[2] : "1 8 64");
  for (int threads = 0; clients >> threads && threads > 0 && threads <= 256;) {
    double mine = 0;
    {  // closed before pgbench connects as many
      auto pool =
          std::make_shared<api::pg::Pool>(server.conninfo(), threads, std::chrono::seconds(5));
      api::PgStore store(pool, std::chrono::seconds(60));
      store.setNoticeTag("b0");
      mine = storeWrites(store, threads, std::chrono::seconds(5));
      const auto batches = store.batchStats();
      std::printf("batches=%llu changes=%llu largest=%zu\n",
                  static_cast<unsigned long long>(batches.batches),
                  static_cast<unsigned long long>(batches.changes), batches.largest);
    }
    const double theirs = pgbench(server, threads, 5);
    std::printf("changed writes/s clients=%d pgstore=%.0f pgbench_upsert=%.0f ratio=%.2f\n",
                threads, mine, theirs, theirs > 0 ? mine / theirs : 0.0);
    std::fflush(stdout);
  }
  auto pool = std::make_shared<api::pg::Pool>(server.conninfo(), 8, std::chrono::seconds(5));
  api::PgStore store(pool, std::chrono::seconds(60));
  const int puts = std::min(records, 2000);
  const double one = putRate(store, puts, false);
  const double many = putRate(store, records, true);
  std::printf(
      "put one at a time: %.0f records/s (%d); putAll, pages of 1000: %.0f records/s (%d)\n", one,
      puts, many, records);
  server.psql(
      "INSERT INTO chipmunk_records (name, ip, ipv4, first_seen, changed_at, last_seen) "
      "SELECT 'h' || i, '192.0.2.1', '192.0.2.1', 1, 1, 1 FROM generate_series(1, " +
      std::to_string(records) + ") i");
  const auto ip = *IpAddress::parse("192.0.2.1");
  const auto polls = Clock::now();
  for (int i = 1; i <= records; ++i) {
    store.recordIp("h" + std::to_string(i), ip, 2000);
  }
  const double pollSeconds = seconds(polls);
  const auto flushStart = Clock::now();
  store.flush();
  std::printf("unchanged polls=%d in %.2fs (%.0f/s, no write); flush of %d last-seen times %.2fs\n",
              records, pollSeconds, records / pollSeconds, records, seconds(flushStart));
  std::printf("flushed rows: %s\n",
              server.psql("SELECT count(*) FROM chipmunk_records WHERE last_seen = 2000").c_str());
  return 0;
}
