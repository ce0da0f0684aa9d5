// SPDX-License-Identifier: MIT
#include "api/outbox.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "api/record_json.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

// The oldest ready row of a record that has no older row: rows of one record run in order
// (a push of an older address never lands after a newer one), rows of different records
// in parallel on different replicas. $2 rows at most; at most one of them runs its effects
// in a transaction (OutboxHandler::hasEffects): a replica killed mid-transaction leaves its
// rows to be run again, only one with effects.
// A row waiting for a push retry is ready at once when a newer row of its record exists:
// its push is stale, and the newer row's hook must not wait for it.
constexpr const char* kClaim =
    "SELECT id, kind, owner, name, before, after, hook_done, attempts,"
    " EXISTS (SELECT 1 FROM chipmunk_outbox n WHERE n.name = o.name AND n.id > o.id)"
    " FROM chipmunk_outbox o"
    " WHERE NOT EXISTS (SELECT 1 FROM chipmunk_outbox p WHERE p.name = o.name AND p.id < o.id)"
    " AND (o.not_before <= $1"
    " OR EXISTS (SELECT 1 FROM chipmunk_outbox n WHERE n.name = o.name AND n.id > o.id))"
    " ORDER BY o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED";

std::shared_ptr<spdlog::logger> outboxLog() {
  return logging::get("outbox");
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The second from which a retry due `wait` after now may be claimed: rounded up, so that
// the claim (`not_before <= whole seconds now`) never comes before the wait is over (now
// + 1 s at 12.999 would be 13, claimable a millisecond later).
int64_t notBefore(std::chrono::seconds wait) {
  const auto due = std::chrono::system_clock::now().time_since_epoch() + wait;
  return std::chrono::ceil<std::chrono::seconds>(due).count();
}

}  // namespace

OutboxDispatcher::OutboxDispatcher(std::string conninfo, std::shared_ptr<OutboxHandler> handler,
                                   Options options)
    : conninfo_(std::move(conninfo)), options_(options), handler_(std::move(handler)) {
  if (::pipe2(wakePipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("outbox: cannot create a pipe");
  }
}

OutboxDispatcher::~OutboxDispatcher() {
  stop();
  ::close(wakePipe_[0]);
  ::close(wakePipe_[1]);
}

void OutboxDispatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void OutboxDispatcher::stop() {
  stopping_ = true;
  const char byte = 0;
  [[maybe_unused]] const auto n = ::write(wakePipe_[1], &byte, 1);
  if (thread_.joinable()) {
    thread_.join();
  }
}

void OutboxDispatcher::setHandler(std::shared_ptr<OutboxHandler> handler) {
  std::atomic_store(&handler_, std::move(handler));
}

OutboxDispatcher::Stats OutboxDispatcher::stats() const {
  std::lock_guard<std::mutex> lock(statsMutex_);
  return stats_;
}

bool OutboxDispatcher::connect() {
  std::string error;
  conn_ = pg::Connection::open(conninfo_, error);
  if (!conn_) {
    outboxLog()->warn("cannot connect; retrying error=\"{}\"", error);
    return false;
  }
  auto r = conn_->exec("LISTEN chipmunk_outbox");
  if (r.ok() && onRecordChange_) {
    r = conn_->exec("LISTEN chipmunk_records");  // one statement per exec (PQexecParams)
  }
  if (!r.ok()) {
    outboxLog()->warn("LISTEN failed; retrying error=\"{}\"", r.error());
    conn_.reset();
    return false;
  }
  std::lock_guard<std::mutex> lock(statsMutex_);
  ++stats_.connects;
  return true;
}

void OutboxDispatcher::run() {
  auto backoff = options_.reconnectMin;
  while (!stopping_) {
    if (!conn_ && !connect()) {
      sleepFor(backoff);
      backoff = std::min(backoff * 2, options_.reconnectMax);
      continue;
    }
    backoff = options_.reconnectMin;
    Step step = Step::kHandled;
    while (!stopping_ && step == Step::kHandled) {
      step = dispatchBatch();
    }
    if (!stopping_ && (step == Step::kBroken || !waitForWork(options_.poll))) {
      outboxLog()->warn("database connection lost; reconnecting");
      conn_.reset();
    }
  }
  conn_.reset();
}

namespace {

OutboxEvent eventAt(const pg::Result& rows, int row) {
  OutboxEvent event;
  event.id = rows.getInt(row, 0);
  event.kind =
      rows.get(row, 1) == "expired" ? OutboxEvent::Kind::kExpired : OutboxEvent::Kind::kChanged;
  event.owner = std::string(rows.get(row, 2));
  for (const auto& [column, record] : {std::pair{4, &event.before}, std::pair{5, &event.after}}) {
    const auto parsed = recordFromJson(rows.get(row, column));
    if (!parsed && !rows.isNull(row, column)) {
      outboxLog()->error("unreadable record in the outbox id={} column={}", event.id, column);
    }
    *record = parsed.value_or(HostRecord{});
  }
  event.before.name = event.after.name = std::string(rows.get(row, 3));
  event.hookDone = rows.get(row, 6) == "t";
  event.attempts = static_cast<int>(rows.getInt(row, 7));
  event.superseded = rows.get(row, 8) == "t";
  return event;
}

}  // namespace

OutboxDispatcher::Step OutboxDispatcher::dispatchBatch() {
  if (!conn_->exec("BEGIN").ok()) {
    return Step::kBroken;
  }
  const auto handler = std::atomic_load(&handler_);
  const std::string now = std::to_string(unixNow());
  auto rows = conn_->exec(kClaim, {now, "1"});
  bool batch = false;
  std::optional<OutboxEvent> first;
  if (rows.ok() && rows.rows() > 0) {
    first = eventAt(rows, 0);
    if (!handler->hasEffects(*first)) {
      rows = conn_->exec(kClaim, {now, std::to_string(kBatch)});
      batch = true;
      first.reset();
    }
  }
  if (!rows.ok()) {
    outboxLog()->warn("claim failed error=\"{}\"", rows.error());
    conn_->exec("ROLLBACK");
    return Step::kBroken;
  }
  if (rows.rows() == 0) {
    return conn_->exec("COMMIT").ok() ? Step::kIdle : Step::kBroken;
  }
  pg::Params done;
  uint64_t retried = 0;
  if (!handleRows(rows, batch, std::move(first), *handler, done, retried)) {
    return Step::kBroken;
  }
  return finish(done, retried);
}

bool OutboxDispatcher::handleRows(const pg::Result& rows, bool batch,
                                  std::optional<OutboxEvent> first, OutboxHandler& handler,
                                  pg::Params& done, uint64_t& retried) {
  for (int i = 0; i < rows.rows(); ++i) {
    const OutboxEvent event = i == 0 && first ? std::move(*first) : eventAt(rows, i);
    const bool effects = handler.hasEffects(event);
    if (effects && (i > 0 || batch)) {
      break;  // its own transaction (the next one: the commit releases it)
    }
    try {
      const OutboxOutcome outcome = handler.handle(*conn_, event);
      const std::string id = std::to_string(event.id);
      if (outcome.done) {
        done.push_back(id);
      } else if (!conn_
                      ->exec("UPDATE chipmunk_outbox SET hook_done = hook_done OR $2,"
                             " attempts = attempts + 1, not_before = $3 WHERE id = $1",
                             {id, outcome.hookRan ? "true" : "false",
                              std::to_string(notBefore(outcome.retryIn))})
                      .ok()) {
        throw std::runtime_error("cannot note the retry");
      } else {
        ++retried;
      }
    } catch (const std::exception& e) {
      // The handler's own statements failed (the connection broke): as a lost commit.
      conn_->exec("ROLLBACK");
      std::lock_guard<std::mutex> lock(statsMutex_);
      ++stats_.lostCommits;
      outboxLog()->error("event failed; it will run again id={} name={} error=\"{}\"", event.id,
                         event.after.name, e.what());
      return false;
    }
    if (effects) {
      break;
    }
  }
  return true;
}

OutboxDispatcher::Step OutboxDispatcher::finish(const pg::Params& done, uint64_t retried) {
  const bool committed =
      (done.empty() || conn_
                           ->exec("DELETE FROM chipmunk_outbox WHERE id = ANY($1::bigint[])",
                                  {pg::arrayLiteral(done)})
                           .ok()) &&
      conn_->exec("COMMIT").ok();
  std::lock_guard<std::mutex> lock(statsMutex_);
  if (!committed) {
    // The unavoidable window: the effects ran, the rows are still there; the replica that
    // takes them next runs them again (a push of an address the provider has is
    // "unchanged"). At most one of them had effects (a hook, a push).
    ++stats_.lostCommits;
    outboxLog()->error("events ran but their removal did not commit; they will run again count={}",
                       done.size());
    return Step::kBroken;
  }
  stats_.done += done.size();
  stats_.retried += retried;
  return Step::kHandled;
}

void OutboxDispatcher::onRecordNotices(std::string ownTag,
                                       std::function<void(const std::string&)> onChange) {
  ownTag_ = std::move(ownTag);
  onRecordChange_ = std::move(onChange);
}

void OutboxDispatcher::passRecordNotice(std::string_view payload) {
  // "<tag> <name> <name> ...", or "<tag>" alone: anything may have changed (PgStore's Waker).
  const size_t space = payload.find(' ');
  if (payload.empty() || payload.substr(0, space) == ownTag_) {
    return;  // this replica's own writes woke its watches already
  }
  if (space == std::string_view::npos) {
    onRecordChange_(std::string());
    return;
  }
  size_t start = space + 1;
  while (start < payload.size()) {
    const size_t end = std::min(payload.find(' ', start), payload.size());
    if (end > start) {
      onRecordChange_(std::string(payload.substr(start, end - start)));
    }
    start = end + 1;
  }
}

bool OutboxDispatcher::drainNotices() {
  bool outbox = false;
  while (PGnotify* n = PQnotifies(conn_->raw())) {
    const std::string_view channel(n->relname);
    if (channel == "chipmunk_records" && onRecordChange_) {
      passRecordNotice(n->extra != nullptr ? n->extra : "");
    }
    outbox = outbox || channel == "chipmunk_outbox";
    PQfreemem(n);
  }
  return outbox;
}

bool OutboxDispatcher::waitForWork(std::chrono::milliseconds limit) {
  pg_conn* raw = conn_->raw();
  // A notification that arrived during the last claim is already in libpq's buffer, where
  // poll() cannot see it: look there first, or that row would wait for the poll.
  if (drainNotices()) {
    return true;
  }
  // Record notices (another replica's writes) are passed on here without a claim: only an
  // outbox notice, the poll's end or stop() ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!stopping_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wakePipe_[0], POLLIN, 0}};
    if (fds[0].fd < 0) {
      return false;
    }
    if (left.count() <= 0 || ::poll(fds, 2, static_cast<int>(left.count()) + 1) == 0) {
      break;
    }
    if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      if (PQconsumeInput(raw) == 0) {
        return false;
      }
      if (drainNotices()) {
        break;
      }
    }
  }
  return PQstatus(raw) == CONNECTION_OK;
}

void OutboxDispatcher::sleepFor(std::chrono::milliseconds limit) {
  pollfd fd = {wakePipe_[0], POLLIN, 0};
  ::poll(&fd, 1, static_cast<int>(limit.count()));
}

}  // namespace chipmunk::api
