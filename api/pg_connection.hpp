// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult

namespace chipmunk::api::pg {

// One answer from the server (libpq's PGresult), freed on destruction.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  // True for PGRES_COMMAND_OK and PGRES_TUPLES_OK.
  bool ok() const;
  int rows() const;
  bool isNull(int row, int column) const;
  // The text of a field ("" for NULL). Valid while the Result lives.
  std::string_view get(int row, int column) const;
  long long getInt(int row, int column) const;
  // The server's message (one line, no secrets: libpq never echoes the password), or
  // "no result" when the connection broke.
  std::string error() const;
  // The SQLSTATE code ("40001" serialization failure, "57P01" admin shutdown...), or "".
  std::string sqlState() const;

 private:
  pg_result* result_ = nullptr;
};

using Params = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL
// libpq's view of `params`: C strings, NULL for SQL NULL (valid while `params` lives).
std::vector<const char*> paramPointers(const Params& params);

// One libpq connection. Not thread-safe: one user at a time (see Pool).
class Connection {
 public:
  // Connects with a libpq connection string or URI; nullptr and `error` (the conninfo
  // itself is never part of it) when the server cannot be reached.
  static std::unique_ptr<Connection> open(const std::string& conninfo, std::string& error);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with text parameters ($1, $2...). Never throws.
  Result exec(const std::string& sql, const Params& params = {});
  // The same through a statement prepared on this connection at its first use (named
  // chipmunk_1, chipmunk_2... per connection): parsed and planned once, not per call — for
  // the store's few statements, run thousands of times. At most kMaxPrepared per
  // connection (then exec()).
  Result execPrepared(const std::string& sql, const Params& params);
  static constexpr size_t kMaxPrepared = 64;
  // One statement of a pipeline: its SQL and values (both outlive the call).
  struct Statement {
    const std::string* sql;
    const Params* params;
  };
  // Runs `statements` in one pipeline (libpq's pipeline mode, prepared as execPrepared):
  // sent at once, one round trip, and ONE implicit transaction (all commit together, or
  // none: the first error aborts the rest). `out` gets each statement's answer in order
  // (an aborted one: not ok). True when every statement succeeded and the transaction
  // committed. Never throws.
  bool pipeline(const std::vector<Statement>& statements, std::vector<Result>& out);
  // False once the connection broke (the server restarted, the network dropped).
  bool healthy() const;
  // For an idle connection: false when the server closed it meanwhile (a restart), seen
  // without a round trip (the socket is readable: libpq reads what is there).
  bool stillOpen();
  std::string lastError() const;
  pg_conn* raw() { return conn_; }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  // `name`: the statement `sql` is prepared under on this connection (prepared now, at its
  // first use), or null past kMaxPrepared (run it unprepared). False when preparing failed
  // (`failure` says why).
  bool prepare(const std::string& sql, size_t params, const std::string*& name, Result& failure);
  pg_conn* conn_ = nullptr;
  bool broken_ = false;  // left mid-pipeline: not to be used again
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// A bounded set of connections shared by threads. acquire() hands out a healthy
// connection (reconnecting a broken one) or waits up to `wait` for one to come back; it
// returns an empty Lease when none can be had, which callers answer with 503.
class Pool {
 public:
  class Lease {
   public:
    Lease() = default;
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease();
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    explicit operator bool() const { return conn_ != nullptr; }
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }
    // Closes the connection instead of giving it back (it broke, though libpq may not know).
    void discard();

   private:
    Pool* pool_ = nullptr;
    std::unique_ptr<Connection> conn_;
  };

  Pool(std::string conninfo, size_t size, std::chrono::milliseconds wait);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Lease acquire();
  // Closes the idle connections: after one turned out broken (the server restarted), the
  // others most likely are too, and a retry must get a fresh one.
  void dropIdle();
  // Runs one statement (Connection::execPrepared) on a leased connection: THE retry rule of
  // the store and of the directory lookups. When the connection broke (connectionBroke: the
  // server restarted, the network dropped) the idle ones are closed too (logged) and the
  // statement runs once more, on a fresh connection; an error in the statement itself is
  // not retried. kFailed: `out` holds that error. kUnavailable: no connection could be had,
  // or the fresh one broke too (lastError() says why; `out` holds what the last try got).
  enum class RunStatus { kOk, kFailed, kUnavailable };
  RunStatus run(const std::string& sql, const Params& params, Result& out);
  // The same rule for a pipeline (Connection::pipeline): kOk when every statement ran and
  // committed; kFailed (nothing committed; `out` says which failed) or kUnavailable.
  RunStatus runPipeline(const std::vector<Connection::Statement>& statements,
                        std::vector<Result>& out);
  // Why the last acquire() failed ("" when it did not).
  std::string lastError() const;
  const std::string& conninfo() const { return conninfo_; }
  size_t size() const { return size_; }

 private:
  // What one try of a statement (or pipeline) on a leased connection came to: `broke`, the
  // connection broke (then it is closed and the statement runs once more on a fresh one).
  struct Attempt {
    bool ok;
    bool broke;
    std::string error;
  };
  // THE retry rule of run() and runPipeline() (see run()).
  RunStatus retryOnce(const std::function<Attempt(Connection&)>& once);
  void give(std::unique_ptr<Connection> conn);
  void forget();  // a leased connection was closed (Lease::discard)

  std::string conninfo_;
  size_t size_;
  std::chrono::milliseconds wait_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // connections handed out or idle
  std::string lastError_;
};

// Whether `r`, an error `conn` answered, says the connection broke (the server restarted or
// is gone, the network dropped: SQLSTATE class 08, 57P) rather than the statement failed.
bool connectionBroke(const Connection& conn, const Result& r);

// A PostgreSQL array literal of `items` ({"a",NULL}: each quoted, nullopt as NULL), for a
// $n::text[] (or bigint[], boolean[]...).
std::string arrayLiteral(const Params& items);

// Runs each of `sql` in order; false (error in `error`) at the first failure.
bool execAll(Connection& conn, const std::vector<std::string>& sql, std::string& error);
// BEGIN, `body`, COMMIT; ROLLBACK and false when `body` returns false (it sets `error`) or
// the commit fails.
bool inTransaction(Connection& conn, const std::function<bool(std::string&)>& body,
                   std::string& error);
// Runs `sql` statements in one transaction on `conn`: BEGIN, each, COMMIT; ROLLBACK and
// false (error in `error`) at the first failure.
bool inTransaction(Connection& conn, const std::vector<std::string>& sql, std::string& error);

}  // namespace chipmunk::api::pg
