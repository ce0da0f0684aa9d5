// SPDX-License-Identifier: MIT
// The record copy and the record-by-record verification of `chipmunk-api migrate`, through
// the Store interface only (listAfter, putAll, put), so that any two stores work: both
// stores are walked in name order a page at a time and merged, so that a record costs no
// round trip of its own, and the copies are written a page per putAll (one transaction
// in PostgreSQL).
#include "api/migrate.hpp"

#include <deque>
#include <optional>
#include <utility>

namespace chipmunk::api {
namespace {

// Calls `visit` for every record of `store`, in name order, a page at a time.
template <typename Visit>
void forEachRecord(Store& store, size_t pageSize, Visit visit) {
  std::string after;
  for (;;) {
    const auto page = store.listAfter(after, pageSize);
    for (const auto& record : page) {
      visit(record);
    }
    if (page.size() < pageSize || page.back().name <= after) {
      return;  // the last page (or a store that does not advance: stop, do not loop)
    }
    after = page.back().name;
  }
}

// A store's records in name order, a page at a time, sought by increasing names (the other
// side of a merge).
class Walk {
 public:
  Walk(Store& store, size_t pageSize) : store_(store), pageSize_(pageSize) {}

  // The record named `name` if the store holds one. Names must be asked in increasing
  // order; `passed` is called with each record before `name` that was never asked for.
  template <typename Passed>
  std::optional<HostRecord> seek(const std::string& name, Passed passed) {
    for (;;) {
      while (!buffer_.empty() && buffer_.front().name < name) {
        passed(buffer_.front());
        buffer_.pop_front();
      }
      if (!buffer_.empty() || !fill()) {
        break;
      }
    }
    if (!buffer_.empty() && buffer_.front().name == name) {
      HostRecord found = std::move(buffer_.front());
      buffer_.pop_front();
      return found;
    }
    return std::nullopt;
  }

  // Calls `passed` with every record after the last one asked for.
  template <typename Passed>
  void rest(Passed passed) {
    do {
      for (const auto& record : buffer_) {
        passed(record);
      }
      buffer_.clear();
    } while (fill());
  }

 private:
  // The next page; false at the end (or a store that does not advance).
  bool fill() {
    if (done_) {
      return false;
    }
    auto page = store_.listAfter(after_, pageSize_);
    done_ = page.size() < pageSize_ || page.empty() || page.back().name <= after_;
    if (!page.empty() && page.back().name > after_) {
      after_ = page.back().name;
      buffer_.insert(buffer_.end(), std::make_move_iterator(page.begin()),
                     std::make_move_iterator(page.end()));
    }
    return !buffer_.empty();
  }

  Store& store_;
  size_t pageSize_;
  std::deque<HostRecord> buffer_;
  std::string after_;
  bool done_ = false;
};

// Writes `batch` with one putAll; when that fails, one put each, to count the failures.
void writeBatch(Store& to, std::vector<HostRecord>& batch, MigrateReport& report) {
  MigrateCounts& counts = report.records;
  if (batch.empty()) {
    return;
  }
  if (to.putAll(batch)) {
    counts.copied += batch.size();
  } else {
    for (const auto& record : batch) {
      if (to.put(record)) {
        ++counts.copied;
      } else {
        ++counts.failed;
        report.problem(record.name + ": could not be written to the target");
      }
    }
  }
  batch.clear();
}

}  // namespace

void MigrateReport::problem(const std::string& text) {
  constexpr size_t kMaxProblems = 20;
  if (problems.size() < kMaxProblems) {
    problems.push_back(text);
  }
}

std::string firstDifference(const HostRecord& a, const HostRecord& b) {
  const std::pair<const char*, bool> same[] = {
      {"name", a.name == b.name},
      {"ip", a.ip == b.ip},
      {"ipv4", a.ipv4 == b.ipv4},
      {"ipv6", a.ipv6 == b.ipv6},
      {"first_seen", a.firstSeen == b.firstSeen},
      {"changed_at", a.changedAt == b.changedAt},
      {"last_seen", a.lastSeen == b.lastSeen},
      {"ttl", a.ttl == b.ttl},
      {"expired", a.expired == b.expired},
      {"expired_at", a.expiredAt == b.expiredAt},
      {"metadata", a.metadata == b.metadata},
  };
  for (const auto& [field, equal] : same) {
    if (!equal) {
      return field;
    }
  }
  return "";
}

void copyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize) {
  pageSize = pageSize == 0 ? 1 : pageSize;
  // The target is read ahead of the writes: a page is written only after the walk passed
  // every name in it, so no page read later holds a record written here.
  Walk target(to, pageSize);
  std::vector<HostRecord> batch;
  forEachRecord(from, pageSize, [&](const HostRecord& record) {
    ++report.records.source;
    const auto there = target.seek(record.name, [](const HostRecord&) {});
    if (there && firstDifference(record, *there).empty()) {
      ++report.records.unchanged;
      return;
    }
    batch.push_back(record);
    if (batch.size() >= pageSize) {
      writeBatch(to, batch, report);
    }
  });
  writeBatch(to, batch, report);
}

void verifyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize) {
  pageSize = pageSize == 0 ? 1 : pageSize;
  MigrateCounts& counts = report.records;
  size_t seen = 0;
  Walk target(to, pageSize);
  const auto targetOnly = [&counts](const HostRecord&) { ++counts.targetOnly; };
  forEachRecord(from, pageSize, [&](const HostRecord& record) {
    ++seen;
    const auto there = target.seek(record.name, targetOnly);
    const std::string field = there ? firstDifference(record, *there) : "missing";
    if (field.empty()) {
      ++counts.verified;
    } else {
      ++counts.mismatched;
      report.problem(record.name + ": " + (there ? field + " differs" : "missing") +
                     " in the target");
    }
  });
  target.rest(targetOnly);
  if (counts.source == 0) {
    counts.source = seen;  // --verify-only: nothing was copied, the count comes from here
  }
}

}  // namespace chipmunk::api
