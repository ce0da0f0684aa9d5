// SPDX-License-Identifier: MIT
#include "api/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>

#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api::pg {

Result::Result(pg_result* result) : result_(result) {}

Result::~Result() {
  if (result_ != nullptr) {
    PQclear(result_);
  }
}

Result::Result(Result&& other) noexcept : result_(other.result_) {
  other.result_ = nullptr;
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) {
      PQclear(result_);
    }
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

bool Result::ok() const {
  if (result_ == nullptr) {
    return false;
  }
  const auto status = PQresultStatus(result_);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

int Result::rows() const {
  return result_ == nullptr ? 0 : PQntuples(result_);
}

bool Result::isNull(int row, int column) const {
  return result_ == nullptr || PQgetisnull(result_, row, column) != 0;
}

std::string_view Result::get(int row, int column) const {
  if (isNull(row, column)) {
    return {};
  }
  return {PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column))};
}

long long Result::getInt(int row, int column) const {
  const std::string text(get(row, column));
  return text.empty() ? 0 : std::strtoll(text.c_str(), nullptr, 10);
}

std::string Result::error() const {
  if (result_ == nullptr) {
    return "no result";
  }
  std::string text = PQresultErrorMessage(result_);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\n') {
      c = ' ';
    }
  }
  return text;
}

std::string Result::sqlState() const {
  if (result_ == nullptr) {
    return {};
  }
  const char* state = PQresultErrorField(result_, PG_DIAG_SQLSTATE);
  return state == nullptr ? std::string() : std::string(state);
}

std::unique_ptr<Connection> Connection::open(const std::string& conninfo, std::string& error) {
  pg_conn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) {
      error.pop_back();
    }
    PQfinish(conn);
    return nullptr;
  }
  // Replies' notices (e.g. "relation already exists, skipping") are not ours to print.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() {
  PQfinish(conn_);
}

std::vector<const char*> paramPointers(const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
  }
  return values;
}

Result Connection::exec(const std::string& sql, const Params& params) {
  const auto values = paramPointers(params);
  return Result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
}

Result Connection::execPrepared(const std::string& sql, const Params& params) {
  const std::string* name = nullptr;
  Result failure;
  if (!prepare(sql, params.size(), name, failure)) {
    return failure;
  }
  if (name == nullptr) {
    return exec(sql, params);
  }
  const auto values = paramPointers(params);
  return Result(PQexecPrepared(conn_, name->c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, 0));
}

bool Connection::prepare(const std::string& sql, size_t params, const std::string*& name,
                         Result& failure) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    if (prepared_.size() >= kMaxPrepared) {
      name = nullptr;
      return true;
    }
    const std::string made = "chipmunk_" + std::to_string(prepared_.size() + 1);
    failure =
        Result(PQprepare(conn_, made.c_str(), sql.c_str(), static_cast<int>(params), nullptr));
    if (!failure.ok()) {
      return false;
    }
    it = prepared_.emplace(sql, made).first;
  }
  name = &it->second;
  return true;
}

bool Connection::healthy() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::stillOpen() {
  if (!healthy()) {
    return false;
  }
  pollfd fd = {PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) {
    return false;
  }
  // Idle, so what arrives is a notice, or the end: when the server stops, its FATAL
  // message (which libpq takes as a notice) and then EOF, seen by a later read (then
  // PQconsumeInput fails). Bounded: a few reads.
  for (int reads = 0; reads < 4 && ::poll(&fd, 1, 0) > 0; ++reads) {
    if (PQconsumeInput(conn_) == 0) {
      return false;
    }
    while (PGnotify* n = PQnotifies(conn_)) {
      PQfreemem(n);
    }
  }
  return healthy();
}

std::string Connection::lastError() const {
  std::string text = PQerrorMessage(conn_);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Pool::Lease::~Lease() {
  if (pool_ != nullptr && conn_) {
    pool_->give(std::move(conn_));
  }
}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr && conn_) {
      pool_->give(std::move(conn_));
    }
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
    other.pool_ = nullptr;
  }
  return *this;
}

Pool::Pool(std::string conninfo, size_t size, std::chrono::milliseconds wait)
    : conninfo_(std::move(conninfo)), size_(size == 0 ? 1 : size), wait_(wait) {}

Pool::~Pool() = default;

Pool::Lease Pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->stillOpen()) {
        return Lease(this, std::move(conn));
      }
      --open_;  // broken: dropped, and a new one is opened below
    }
    if (open_ < size_) {
      ++open_;
      lock.unlock();
      std::string error;
      auto conn = Connection::open(conninfo_, error);
      // The pool runs prepared statements (execPrepared), planned once: an array parameter
      // (the store's batched update) would otherwise be planned again at every call, as
      // PostgreSQL's custom plan, knowing the array's length, always looks cheaper.
      if (conn && !conn->exec("SET plan_cache_mode = force_generic_plan").ok()) {
        error = conn->lastError();
        conn.reset();
      }
      lock.lock();
      if (conn) {
        lastError_.clear();
        return Lease(this, std::move(conn));
      }
      --open_;
      lastError_ = error;
      return Lease();
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
      lastError_ = "no free database connection";
      return Lease();
    }
  }
}

void Pool::dropIdle() {
  std::vector<std::unique_ptr<Connection>> dropped;
  std::lock_guard<std::mutex> lock(mutex_);
  open_ -= idle_.size();
  dropped.swap(idle_);
}

Pool::RunStatus Pool::retryOnce(const std::function<Attempt(Connection&)>& once) {
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = acquire();
    if (!lease) {
      return RunStatus::kUnavailable;
    }
    const Attempt tried = once(*lease);
    if (tried.ok) {
      return RunStatus::kOk;
    }
    if (!tried.broke) {
      return RunStatus::kFailed;
    }
    why = tried.error;
    lease.discard();  // an SQLSTATE of class 08 or 57P on a socket libpq still calls fine
    if (attempt == 0) {
      logging::get("store")->warn("database connection broke; retrying on a fresh one error=\"{}\"",
                                  why);
      dropIdle();  // the others most likely broke too
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  lastError_ = why;
  return RunStatus::kUnavailable;
}

Pool::RunStatus Pool::run(const std::string& sql, const Params& params, Result& out) {
  return retryOnce([&](Connection& conn) {
    out = conn.execPrepared(sql, params);
    return Attempt{out.ok(), !out.ok() && connectionBroke(conn, out), out.error()};
  });
}

bool connectionBroke(const Connection& conn, const Result& r) {
  const std::string state = r.sqlState();
  return !conn.healthy() || state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

std::string Pool::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

void Pool::Lease::discard() {
  if (conn_) {
    conn_.reset();
    pool_->forget();
  }
}

void Pool::forget() {
  std::lock_guard<std::mutex> lock(mutex_);
  --open_;
  cv_.notify_one();
}

void Pool::give(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (conn->healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  cv_.notify_one();
}

std::string arrayLiteral(const Params& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) {
      out += ',';
    }
    if (!item) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char c : *item) {
      if (c == '"' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

bool execAll(Connection& conn, const std::vector<std::string>& sql, std::string& error) {
  for (const auto& statement : sql) {
    auto r = conn.exec(statement);
    if (!r.ok()) {
      error = r.error();
      return false;
    }
  }
  return true;
}

bool inTransaction(Connection& conn, const std::function<bool(std::string&)>& body,
                   std::string& error) {
  auto begin = conn.exec("BEGIN");
  if (!begin.ok()) {
    error = begin.error();
    return false;
  }
  if (!body(error)) {
    conn.exec("ROLLBACK");
    return false;
  }
  auto commit = conn.exec("COMMIT");
  if (!commit.ok()) {
    error = commit.error();
    return false;
  }
  return true;
}

bool inTransaction(Connection& conn, const std::vector<std::string>& sql, std::string& error) {
  return inTransaction(
      conn, [&](std::string& e) { return execAll(conn, sql, e); }, error);
}

}  // namespace chipmunk::api::pg
