// SPDX-License-Identifier: MIT
// pg::Connection::pipeline and pg::Pool::runPipeline: several statements sent at once in
// libpq's pipeline mode, one round trip and one implicit transaction (PgStore's batches of
// known changes, api/pg_store_write.cpp).
#include "api/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>

namespace chipmunk::api::pg {

bool Connection::pipeline(const std::vector<Statement>& statements, std::vector<Result>& out) {
  out.clear();
  out.resize(statements.size());
  // Prepared first, outside the pipeline (PQprepare is synchronous).
  std::vector<const std::string*> names(statements.size(), nullptr);
  for (size_t i = 0; i < statements.size(); ++i) {
    if (!prepare(*statements[i].sql, statements[i].params->size(), names[i], out[i])) {
      return false;  // `out` holds why
    }
  }
  if (PQenterPipelineMode(conn_) != 1) {
    return false;
  }
  // Sent in blocking mode, answers read only after the sync: safe while the answers fit in
  // the socket's buffers as the server writes them (libpq's caution), as the store's do:
  // one short row per statement at most, 64 statements at most (WriteCombiner::kMaxBatch).
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const auto values = paramPointers(*statements[i].params);
    const int n = static_cast<int>(values.size());
    sent = names[i] != nullptr ? PQsendQueryPrepared(conn_, names[i]->c_str(), n, values.data(),
                                                     nullptr, nullptr, 0) == 1
                               : PQsendQueryParams(conn_, statements[i].sql->c_str(), n, nullptr,
                                                   values.data(), nullptr, nullptr, 0) == 1;
  }
  if (!sent || PQpipelineSync(conn_) != 1) {
    // The connection broke while sending (healthy() says so): the caller drops it. One
    // still in pipeline mode (queries sent, unanswered) is never used again either.
    if (PQexitPipelineMode(conn_) != 1) {
      broken_ = true;
    }
    return false;
  }
  // Each statement's answer, then the NULL that ends it; then the sync. A broken
  // connection ends the reading early (NULL where an answer was due).
  bool ok = true;
  size_t i = 0;
  for (; i < statements.size(); ++i) {
    pg_result* answer = PQgetResult(conn_);
    if (answer == nullptr) {
      break;  // the connection broke
    }
    out[i] = Result(answer);
    ok = ok && out[i].ok();
    // Each statement's answer is followed by a NULL (bounded: one answer per statement).
    for (int extra = 0; extra < 4; ++extra) {
      pg_result* more = PQgetResult(conn_);
      if (more == nullptr) {
        break;
      }
      PQclear(more);
    }
  }
  if (i < statements.size()) {
    ok = false;
  } else {
    pg_result* sync = PQgetResult(conn_);
    ok = ok && sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
  }
  if (PQexitPipelineMode(conn_) != 1) {
    ok = false;
    broken_ = true;  // answers still pending: never used again (healthy() is false)
  }
  return ok && healthy();
}

Pool::RunStatus Pool::runPipeline(const std::vector<Connection::Statement>& statements,
                                  std::vector<Result>& out) {
  return retryOnce([&](Connection& conn) {
    if (conn.pipeline(statements, out)) {
      return Attempt{true, false, {}};
    }
    const auto failed =
        std::find_if(out.begin(), out.end(), [](const Result& r) { return !r.ok(); });
    const Result none;
    const bool broke = connectionBroke(conn, failed == out.end() ? none : *failed);
    return Attempt{false, broke, failed == out.end() ? conn.lastError() : failed->error()};
  });
}

}  // namespace chipmunk::api::pg
