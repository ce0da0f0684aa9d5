// SPDX-License-Identifier: MIT
// The record copy and the record-by-record verification of `chipmunk-api migrate`, through
// the Store interface only (listAfter, get, put), so that any two stores work.
#include "api/migrate.hpp"

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
  forEachRecord(from, pageSize, [&](const HostRecord& record) {
    MigrateCounts& counts = report.records;
    ++counts.source;
    const auto there = to.get(record.name);
    if (there && firstDifference(record, *there).empty()) {
      ++counts.unchanged;
    } else if (to.put(record)) {
      ++counts.copied;
    } else {
      ++counts.failed;
      report.problem(record.name + ": could not be written to the target");
    }
  });
}

void verifyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize) {
  MigrateCounts& counts = report.records;
  size_t seen = 0;
  forEachRecord(from, pageSize, [&](const HostRecord& record) {
    ++seen;
    const auto there = to.get(record.name);
    const std::string field = there ? firstDifference(record, *there) : "missing";
    if (field.empty()) {
      ++counts.verified;
    } else {
      ++counts.mismatched;
      report.problem(record.name + ": " + (there ? field + " differs" : "missing") +
                     " in the target");
    }
  });
  if (counts.source == 0) {
    counts.source = seen;  // --verify-only: nothing was copied, the count comes from here
  }
  forEachRecord(to, pageSize, [&](const HostRecord& record) {
    if (!from.get(record.name)) {
      ++counts.targetOnly;
    }
  });
}

}  // namespace chipmunk::api
