// SPDX-License-Identifier: MIT
// The file store's write-ahead journal (api/group_commit.hpp): a store that dies without
// closing leaves its changes in <dir>/.journal, and the next start writes them back into the
// record files, even when the cut lost those files (a power cut loses what was not synced);
// a torn tail is ignored; a checkpoint empties the journal and a restart after it is equal.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "api/file_store.hpp"
#include "tests/support/forked.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using namespace chipmunk::api;   // FileStore, Journal, RecordUpdate, SetOutcome
using namespace chipmunk::test;  // TempDir, runForked, readFile, writeFile, fileExists

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

// In a child process: a store that writes alice (twice), bob (with metadata and a TTL) and
// carol (expired by its TTL), then dies without closing: no checkpoint, no flush.
void writeAndDie(const std::string& dir) {
  const int rc = runForked(
      [&] {
        auto* store = new FileStore(dir);  // never closed: the process ends under it
        RecordUpdate bob;
        bob.ipv6 = ip("2001:db8::b");
        bob.primary = bob.ipv6;
        bob.metadata = Metadata{{"wg_port", "51820"}};
        bob.ttl = 3600;
        RecordUpdate carol;
        carol.ipv4 = ip("198.51.100.3");
        carol.primary = carol.ipv4;
        carol.ttl = 10;
        const bool ok =
            store->recordIp("alice", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved &&
            store->recordIp("alice", ip("198.51.100.2"), 1001).outcome == SetOutcome::kSaved &&
            store->update("bob", bob, 1002).outcome == SetOutcome::kSaved &&
            store->update("carol", carol, 1003).outcome == SetOutcome::kSaved &&
            store->expireDue(1020).size() == 1;
        ::_exit(ok ? 0 : 1);
        return 2;
      },
      std::chrono::seconds(30));
  REQUIRE(rc == 0);
}

// What a power cut may do to record files written since the last checkpoint: lose them.
void loseRecordFiles(const TempDir& dir) {
  for (const char* name : {"alice", "bob", "carol"}) {
    ::unlink(dir.file(std::string(name) + ".cm").c_str());
    ::unlink(dir.file(std::string(name) + ".json").c_str());
  }
}

void checkReplayed(const TempDir& dir, FileStore& store) {
  const auto alice = store.get("alice");
  REQUIRE(alice);
  CHECK(alice->ip->toString() == "198.51.100.2");
  CHECK(alice->firstSeen == 1000);
  CHECK(alice->changedAt == 1001);
  const auto bob = store.get("bob");
  REQUIRE(bob);
  CHECK(bob->ip->toString() == "2001:db8::b");
  CHECK(bob->metadata.at("wg_port") == "51820");
  CHECK(bob->ttl == 3600);
  const auto carol = store.get("carol");
  REQUIRE(carol);
  CHECK(carol->expired);
  CHECK_FALSE(carol->ip);
  // In the record files, durably, before the store serves; the journal is empty.
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.2\n");
  CHECK(readFile(dir.file("bob.cm")) == "2001:db8::b\n");
  CHECK(readFile(dir.file("bob.json")).find("\"wg_port\":\"51820\"") != std::string::npos);
  CHECK_FALSE(fileExists(dir.file("carol.cm")));
  CHECK(readFile(dir.file("carol.json")).find("\"expired\":true") != std::string::npos);
  CHECK(readFile(dir.file(Journal::kFile)).empty());
  CHECK_FALSE(fileExists(dir.file(Journal::kOldFile)));
  CHECK_FALSE(fileExists(dir.file(".alice.cm.tmp")));  // no spare left behind
}

TEST_CASE("Unit: a journal left by a crash is replayed into lost record files at start",
          "[api][unit]") {
  TempDir dir;
  writeAndDie(dir.path());
  REQUIRE(fileExists(dir.file(Journal::kFile)));
  loseRecordFiles(dir);
  // And an older alice.cm, as a file the cut left at its previous content.
  writeFile(dir.file("alice.cm"), "198.51.100.1\n");
  FileStore store(dir.path());
  checkReplayed(dir, store);
  CHECK(store.counters().checkpoints == 0);  // the replay needed none
}

TEST_CASE("Unit: a journal that cannot be read stops the store and is kept whole", "[api][unit]") {
  TempDir dir;
  writeAndDie(dir.path());
  loseRecordFiles(dir);
  const std::string journal = dir.file(Journal::kFile);
  const off_t written = static_cast<off_t>(readFile(journal).size());
  REQUIRE(written > 0);
  // Past the 256 MiB a journal may be (sparse: nothing is written): refused, not taken as
  // empty and removed with the acknowledged writes in it.
  REQUIRE(::truncate(journal.c_str(), (256 << 20) + 1) == 0);
  CHECK_THROWS_WITH(FileStore(dir.path()), Catch::Contains("cannot read the journal"));
  CHECK(fileExists(journal));
  // Put right, the next start replays everything.
  REQUIRE(::truncate(journal.c_str(), written) == 0);
  FileStore store(dir.path());
  checkReplayed(dir, store);
}

TEST_CASE("Unit: a torn or damaged journal tail is ignored, never replayed", "[api][unit]") {
  TempDir dir;
  writeAndDie(dir.path());
  loseRecordFiles(dir);
  std::string good = readFile(dir.file(Journal::kFile));
  good.erase(good.find_last_not_of('\0') + 1);  // the zeros the file was extended with
  REQUIRE_FALSE(good.empty());
  const std::string dave =
      "{\"name\":\"dave\",\"ip\":\"198.51.100.4\",\"ipv4\":\"198.51.100.4\",\"first_seen\":5}";
  SECTION("an entry cut short") {
    writeFile(dir.file(Journal::kFile), good + Journal::frame(dave).substr(0, 30));
  }
  SECTION("an entry whose checksum fails") {
    std::string bad = Journal::frame(dave);
    bad[bad.size() - 3] ^= 0x20;
    // Nothing after a damaged entry is trusted either.
    writeFile(dir.file(Journal::kFile), good + bad + Journal::frame(dave));
  }
  SECTION("an entry claiming more than the bound") {
    writeFile(dir.file(Journal::kFile), good + std::string("CMJ1\xff\xff\xff\x7f", 8) + "xxxx");
  }
  FileStore store(dir.path());
  checkReplayed(dir, store);
  CHECK_FALSE(store.get("dave"));
  CHECK_FALSE(fileExists(dir.file("dave.cm")));
}

TEST_CASE("Unit: after a checkpoint the journal is empty and a restart reads equal records",
          "[api][unit]") {
  TempDir dir;
  // A store that checkpoints, then dies without closing: its records are in their files.
  const int rc = runForked(
      [&] {
        auto* store = new FileStore(dir.path());
        for (int i = 0; i < 50; ++i) {
          store->recordIp("u" + std::to_string(i % 20), ip("198.51.100." + std::to_string(i + 1)),
                          1000 + i);
        }
        const bool ok = store->journalBytes() > 0 && store->checkpoint() &&
                        store->journalBytes() == 0 && store->counters().checkpoints == 1;
        ::_exit(ok ? 0 : 1);
        return 2;
      },
      std::chrono::seconds(30));
  REQUIRE(rc == 0);
  CHECK(readFile(dir.file(Journal::kFile)).empty());
  CHECK_FALSE(fileExists(dir.file(Journal::kOldFile)));
  FileStore again(dir.path());
  const auto after = again.list();
  REQUIRE(after.size() == 20);
  for (int k = 0; k < 20; ++k) {
    const int last = k + 40 < 50 ? k + 40 : k + 20;  // the last i with i % 20 == k
    INFO("u" << k);
    const auto r = again.get("u" + std::to_string(k));
    REQUIRE(r);
    CHECK(r->ip->toString() == "198.51.100." + std::to_string(last + 1));
    CHECK(r->changedAt == 1000 + last);
    CHECK(r->firstSeen == 1000 + k);
    CHECK(readFile(dir.file("u" + std::to_string(k) + ".cm")) == r->ip->toString() + "\n");
  }
}

TEST_CASE("Unit: the journal is checkpointed when it passes its entry limit", "[api][unit]") {
  TempDir dir;
  Journal::Limits limits;
  limits.checkpointEntries = 10;
  FileStore store(dir.path(), limits);
  // Two rounds of 15 changes, each past the limit, each waited for: on a loaded machine the
  // checkpoint thread may run only after a round's last write (one checkpoint for all 15),
  // so a round per expected checkpoint keeps the count from depending on the timing.
  for (uint64_t round = 1; round <= 2; ++round) {
    for (int i = 0; i < 15; ++i) {
      REQUIRE(store
                  .recordIp("u" + std::to_string(i), ip("198.51.100." + std::to_string(round)),
                            1000 + round)
                  .outcome == SetOutcome::kSaved);
    }
    for (int i = 0; i < 500 && store.counters().checkpoints < round; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(store.counters().checkpoints >= round);  // by its thread, not at close
  }
  CHECK(store.journalBytes() < 10 * 400);
}

TEST_CASE("Unit: a crash mid-checkpoint replays the old journal, then the new one", "[api][unit]") {
  TempDir dir;
  auto entry = [](const std::string& name, const std::string& address, int changed) {
    return Journal::frame("{\"name\":\"" + name + "\",\"ip\":\"" + address + "\",\"ipv4\":\"" +
                          address + "\",\"changed_at\":" + std::to_string(changed) + "}");
  };
  // The checkpoint had rotated (alice's older change in .journal.old, her newer one and
  // bob's in .journal) when the process died.
  writeFile(dir.file(Journal::kOldFile),
            entry("alice", "198.51.100.1", 10) + entry("carol", "198.51.100.3", 11));
  writeFile(dir.file(Journal::kFile),
            entry("alice", "198.51.100.2", 20) + entry("bob", "198.51.100.4", 21));
  FileStore store(dir.path());
  CHECK(store.get("alice")->ip->toString() == "198.51.100.2");
  CHECK(store.get("alice")->changedAt == 20);
  CHECK(store.get("bob")->ip->toString() == "198.51.100.4");
  CHECK(store.get("carol")->ip->toString() == "198.51.100.3");
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.2\n");
  CHECK_FALSE(fileExists(dir.file(Journal::kOldFile)));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
