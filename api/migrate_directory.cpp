// SPDX-License-Identifier: MIT
// `chipmunk-api migrate` for the directory (users, hosts, update tokens): through the
// Directory interface only, so a file directory and a PostgreSQL one work either way.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/migrate.hpp"

namespace chipmunk::api {
namespace {

// One directory entry: a key naming it in messages ("user carol", "token 3f9c..."; never a
// secret), every field as one comparable value, and how to write it into a directory.
struct Entry {
  std::string key;
  std::string value;
  std::function<bool(Directory&, std::string&)> write;
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

// Users first, then hosts, then tokens: the order in which a store may check owners.
std::vector<Entry> entriesOf(const DirectoryData& d) {
  std::vector<Entry> out;
  for (const auto& u : d.users) {
    out.push_back({"user " + u.name, u.hash, [u](Directory& to, std::string& error) {
                     return to.putUser(u, false, false, error);
                   }});
  }
  for (const auto& h : d.hosts) {
    out.push_back({"host " + h.name, h.owner,
                   [h](Directory& to, std::string& error) { return to.putHost(h, error); }});
  }
  for (const auto& t : d.tokens) {
    const std::string value =
        t.owner + " " + t.digest + " " + joined(t.hosts) + " " + std::to_string(t.created);
    out.push_back({"token " + t.id, value, [t](Directory& to, std::string& error) {
                     std::string ignored;  // absent: nothing to revoke
                     to.revokeToken(t.id, ignored);
                     return to.addToken(t, error);
                   }});
  }
  return out;
}

// The directory's entries by key; false (one failure counted) when it cannot be read.
bool readEntries(Directory& directory, const char* role, std::vector<Entry>& out,
                 MigrateReport& report) {
  DirectoryData data;
  std::string error;
  if (!directory.load(data, error)) {
    ++report.directory.failed;
    report.problem(std::string("the ") + role + " directory: " + error);
    return false;
  }
  out = entriesOf(data);
  return true;
}

std::map<std::string, std::string> valuesByKey(const std::vector<Entry>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    out[e.key] = e.value;
  }
  return out;
}

}  // namespace

void copyDirectory(Directory& from, Directory& to, MigrateReport& report) {
  std::vector<Entry> source;
  std::vector<Entry> target;
  if (!readEntries(from, "source", source, report) || !readEntries(to, "target", target, report)) {
    return;
  }
  const auto there = valuesByKey(target);
  MigrateCounts& counts = report.directory;
  for (const auto& e : source) {
    ++counts.source;
    const auto it = there.find(e.key);
    std::string error;
    if (it != there.end() && it->second == e.value) {
      ++counts.unchanged;
    } else if (e.write(to, error)) {
      ++counts.copied;
    } else {
      ++counts.failed;
      report.problem(e.key + ": could not be written to the target: " + error);
    }
  }
}

void verifyDirectory(Directory& from, Directory& to, MigrateReport& report) {
  std::vector<Entry> source;
  std::vector<Entry> target;
  if (!readEntries(from, "source", source, report) || !readEntries(to, "target", target, report)) {
    return;
  }
  MigrateCounts& counts = report.directory;
  const auto there = valuesByKey(target);
  for (const auto& e : source) {
    const auto it = there.find(e.key);
    if (it != there.end() && it->second == e.value) {
      ++counts.verified;
    } else {
      ++counts.mismatched;
      report.problem(e.key + ": " + (it == there.end() ? "missing" : "differs") + " in the target");
    }
  }
  counts.source = source.size();
  const auto here = valuesByKey(source);
  for (const auto& e : target) {
    counts.targetOnly += here.count(e.key) == 0 ? 1 : 0;
  }
}

}  // namespace chipmunk::api
