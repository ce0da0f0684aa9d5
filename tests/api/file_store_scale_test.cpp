// SPDX-License-Identifier: MIT
// The file store at scale: writers share journal fdatasyncs (group commit), expiry pops a heap
// instead of scanning every record, last-seen times are flushed in one file, and pages of
// records come from the sorted index.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/file_store.hpp"
#include "api/group_commit.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::FileStore;
using chipmunk::api::Journal;
using chipmunk::api::RecordUpdate;
using chipmunk::api::SetOutcome;
using chipmunk::test::fileExists;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

RecordUpdate withTtl(const std::string& address, int64_t ttl) {
  RecordUpdate u;
  u.ipv4 = ip(address);
  u.primary = u.ipv4;
  u.ttl = ttl;
  return u;
}

TEST_CASE("Unit: journal entries queued while a group syncs share the next group's fdatasync",
          "[api][unit]") {
  TempDir dir;
  const int dirFd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dirFd >= 0);
  Journal::Counters counters;
  // The first group's leader stops in the 'updated' touch until the others have queued.
  std::mutex m;
  std::condition_variable cv;
  bool hold = true;
  std::atomic<bool> leading{false};
  auto journal = std::make_unique<Journal>(
      dirFd, counters, Journal::Limits{},
      [&](int) {
        leading = true;
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, std::chrono::seconds(20), [&] { return !hold; });
      },
      nullptr);
  const auto created = counters.fsyncs.load();  // the directory, for the new file's name
  std::atomic<int> ok{0};
  auto appendOne = [&](int i) {
    std::string error;
    const std::string name = "r" + std::to_string(i);
    if (journal->append(name, "entry " + name, true, error)) {
      ++ok;
    }
  };
  std::thread leader(appendOne, 0);
  for (int i = 0; i < 2000 && !leading; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(leading);
  constexpr int kFollowers = 8;
  std::vector<std::thread> followers;
  for (int i = 1; i <= kFollowers; ++i) {
    followers.emplace_back(appendOne, i);
  }
  for (int i = 0; i < 2000 && journal->queued() < kFollowers; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(journal->queued() == kFollowers);
  {
    std::lock_guard<std::mutex> lock(m);
    hold = false;
    cv.notify_all();
  }
  leader.join();
  for (auto& t : followers) {
    t.join();
  }
  CHECK(ok == kFollowers + 1);
  CHECK(counters.batches == 2);           // not one per write
  CHECK(counters.fsyncs == created + 2);  // one fdatasync per group, no file's own
  CHECK(journal->entries() == kFollowers + 1);
  std::vector<std::string> entries;
  const size_t ignored =
      Journal::read(dirFd, Journal::kFile, [&](std::string_view e) { entries.emplace_back(e); });
  REQUIRE(entries.size() == kFollowers + 1);
  CHECK(entries[0] == "entry r0");  // the first group, then the rest in any order
  CHECK(ignored == 0);
  journal.reset();
  ::close(dirFd);
}

TEST_CASE("Unit: a changed address costs one journal fdatasync, an unchanged one none",
          "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  const auto before = store.counters().fsyncs.load();
  CHECK(store.recordIp("alice", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  CHECK(store.counters().fsyncs == before + 1);  // the journal: alice.cm and .json wait
  CHECK(store.counters().batches == 1);
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.1\n");  // yet are in place
  CHECK(store.recordIp("alice", ip("198.51.100.1"), 1001).outcome == SetOutcome::kUnchanged);
  CHECK(store.counters().fsyncs == before + 1);
  // The checkpoint: the directory for the new journal's name, both files, the directory.
  CHECK(store.checkpoint());
  CHECK(store.counters().fsyncs == before + 5);
  CHECK(store.checkpoint());  // nothing left to do
  CHECK(store.counters().fsyncs == before + 5);
}

TEST_CASE("Unit: expiry follows TTL changes and refreshes without scanning", "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  store.update("a", withTtl("198.51.100.1", 100), 1000);  // due at 1100
  store.update("b", withTtl("198.51.100.2", 100), 1000);  // re-set at 1050: due at 1150
  store.update("c", withTtl("198.51.100.3", 100), 1000);  // TTL cut to 10 at 1020: due 1030
  store.update("d", withTtl("198.51.100.4", 100), 1000);  // TTL raised to 500: due at 1500
  store.update("e", withTtl("198.51.100.5", 0), 1000);    // never
  CHECK(store.update("b", withTtl("198.51.100.2", 100), 1050).outcome == SetOutcome::kUnchanged);
  store.update("c", withTtl("198.51.100.3", 10), 1020);
  store.update("d", withTtl("198.51.100.4", 500), 1000);
  auto names = [](const std::vector<chipmunk::api::HostRecord>& records) {
    std::string out;
    for (const auto& r : records) {
      out += r.name;
    }
    return out;
  };
  CHECK(names(store.expireDue(1029)).empty());
  CHECK(names(store.expireDue(1030)) == "c");
  CHECK(names(store.expireDue(1100)) == "a");
  CHECK(names(store.expireDue(1149)).empty());
  CHECK(names(store.expireDue(1150)) == "b");
  CHECK(names(store.expireDue(1499)).empty());
  CHECK(names(store.expireDue(1500)) == "d");
  CHECK(names(store.expireDue(100000)).empty());
  CHECK_FALSE(fileExists(dir.file("a.cm")));
  CHECK(store.get("a")->expired);
  CHECK(fileExists(dir.file("e.cm")));
  // An expired record set again expires again; refreshes add nothing to the heap.
  store.update("a", withTtl("198.51.100.1", 100), 2000);
  const size_t queued = store.scheduledExpiries();
  for (int i = 1; i <= 50; ++i) {
    store.update("a", withTtl("198.51.100.1", 100), 2000 + i);
  }
  CHECK(store.scheduledExpiries() == queued);
  CHECK(names(store.expireDue(2149)).empty());
  CHECK(names(store.expireDue(2150)) == "a");
}

TEST_CASE("Unit: records loaded at start expire on time", "[api][unit]") {
  TempDir dir;
  {
    FileStore store(dir.path());
    store.update("a", withTtl("198.51.100.1", 100), 1000);
  }
  FileStore again(dir.path());
  CHECK(again.expireDue(1099).empty());
  CHECK(again.expireDue(1100).size() == 1);
}

TEST_CASE("Unit: last-seen times are flushed in one soft-data file and read back", "[api][unit]") {
  TempDir dir;
  {
    FileStore store(dir.path());
    store.recordIp("alice", ip("198.51.100.1"), 1000);
    store.recordIp("bob", ip("198.51.100.2"), 1000);
    const std::string json = readFile(dir.file("alice.json"));
    store.recordIp("alice", ip("198.51.100.1"), 2000);
    const auto before = store.counters().filesWritten.load();
    store.flush();
    CHECK(store.counters().filesWritten == before + 1);
    CHECK(readFile(dir.file("alice.json")) == json);  // not rewritten
    CHECK(readFile(dir.file(".last_seen")) == "chipmunk-last-seen 1\nalice 2000\n");
    store.flush();  // nothing new: nothing written
    CHECK(store.counters().filesWritten == before + 1);
  }
  FileStore again(dir.path());
  CHECK(again.get("alice")->lastSeen == 2000);
  CHECK(again.get("bob")->lastSeen == 1000);
}

TEST_CASE("Unit: an older .last_seen or a damaged line never lowers a last-seen time",
          "[api][unit]") {
  TempDir dir;
  writeFile(dir.file("alice.cm"), "198.51.100.1\n");
  writeFile(dir.file("alice.json"),
            "{\"ipv4\":\"198.51.100.1\",\"first_seen\":10,\"changed_at\":10,\"last_seen\":500}\n");
  writeFile(dir.file("bob.cm"), "198.51.100.2\n");
  writeFile(dir.file(".last_seen"),
            "chipmunk-last-seen 1\nalice 400\nbob 700\nbob x\ncarol 900\n\nbroken\n");
  FileStore store(dir.path());
  CHECK(store.get("alice")->lastSeen == 500);
  CHECK(store.get("bob")->lastSeen == 700);
  CHECK_FALSE(store.get("carol"));
}

TEST_CASE("Unit: a .last_seen over its size bound is ignored, never read", "[api][unit]") {
  TempDir dir;
  writeFile(dir.file("bob.cm"), "198.51.100.2\n");
  writeFile(dir.file("bob.json"),
            "{\"ipv4\":\"198.51.100.2\",\"first_seen\":10,\"changed_at\":10,\"last_seen\":500}\n");
  // A valid start, then a hole up to one byte past 256 MiB (sparse: costs no disk).
  writeFile(dir.file(".last_seen"), "chipmunk-last-seen 1\nbob 9999\n");
  REQUIRE(::truncate(dir.file(".last_seen").c_str(), 256LL * 1024 * 1024 + 1) == 0);
  FileStore store(dir.path());
  CHECK(store.get("bob")->lastSeen == 500);
}

TEST_CASE("Unit: flushing 100k seen records writes one file", "[api][unit][serial]") {
  TempDir dir;
  constexpr int kRecords = 100000;
  auto addressOf = [](int i) {
    return "10." + std::to_string(i / 62500) + "." + std::to_string(i / 250 % 250) + "." +
           std::to_string(i % 250 + 1);
  };
  for (int i = 0; i < kRecords; ++i) {
    // The original's format: an address file only (no fsync: a test fixture).
    const std::string name = dir.file("h" + std::to_string(i) + ".cm");
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    const std::string text = addressOf(i) + "\n";
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  FileStore store(dir.path());
  REQUIRE(store.list().size() == kRecords);
  for (int i = 0; i < kRecords; ++i) {
    const std::string address = addressOf(i);
    // Seen again at the same address: soft data, kept in memory until the flush.
    REQUIRE(store.recordIp("h" + std::to_string(i), ip(address), 5000 + i).outcome ==
            SetOutcome::kUnchanged);
  }
  const auto files = store.counters().filesWritten.load();
  const auto fsyncs = store.counters().fsyncs.load();
  store.flush();
  CHECK(store.counters().filesWritten == files + 1);
  CHECK(store.counters().fsyncs == fsyncs + 2);
  CHECK(store.listAfter("h99998", 5).size() == 1);
  CHECK(fileExists(dir.file(".last_seen")));
  CHECK_FALSE(fileExists(dir.file("h1.json")));  // no per-record rewrite
}

TEST_CASE("Unit: listAfter pages through the sorted records", "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  for (const char* name : {"d", "b", "a", "c", "e"}) {
    store.recordIp(name, ip("198.51.100.1"), 1000);
  }
  std::string seen;
  std::string after;
  for (;;) {
    const auto page = store.listAfter(after, 2);
    if (page.empty()) {
      break;
    }
    CHECK(page.size() <= 2);
    for (const auto& r : page) {
      seen += r.name;
    }
    after = page.back().name;
  }
  CHECK(seen == "abcde");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
