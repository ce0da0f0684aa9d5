// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "api/file_store.hpp"
#include "tests/support/forked.hpp"
#include "tests/support/small_stack.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::FileStore;
using chipmunk::api::SetOutcome;
using chipmunk::test::fileExists;
using chipmunk::test::readFile;
using chipmunk::test::runForked;
using chipmunk::test::TempDir;

TEST_CASE("Unit: the file store writes <user>.cm only when the IP changes", "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  const auto a = *IpAddress::parse("198.51.100.1");
  const auto b = *IpAddress::parse("2001:db8::1");
  CHECK(store.recordIp("alice", a, 1000).outcome == SetOutcome::kSaved);
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.1\n");
  REQUIRE(fileExists(dir.file("updated")));
  struct stat before {};
  ::stat(dir.file("alice.cm").c_str(), &before);
  CHECK(store.recordIp("alice", a, 1010).outcome == SetOutcome::kUnchanged);
  struct stat after {};
  ::stat(dir.file("alice.cm").c_str(), &after);
  CHECK(before.st_ino == after.st_ino);  // not rewritten
  CHECK(store.recordIp("alice", b, 1020).outcome == SetOutcome::kSaved);
  CHECK(readFile(dir.file("alice.cm")) == "2001:db8::1\n");
  const auto rec = store.get("alice");
  REQUIRE(rec);
  CHECK(rec->ipv4->toString() == "198.51.100.1");
  CHECK(rec->ipv6->toString() == "2001:db8::1");
  CHECK(rec->firstSeen == 1000);
  CHECK(rec->changedAt == 1020);
  CHECK_FALSE(store.get("bob"));
  // A write leaves the older content at .alice.cm.tmp, written over by the next one (no
  // inode per write); the checkpoint removes it: no temporary files are left behind.
  CHECK(readFile(dir.file(".alice.cm.tmp")) == "198.51.100.1\n");
  CHECK(store.checkpoint());
  CHECK_FALSE(fileExists(dir.file(".alice.cm.tmp")));
  CHECK_FALSE(fileExists(dir.file(".alice.json.tmp")));
}

TEST_CASE("Unit: a record written over a longer spare keeps none of the spare's tail",
          "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  // The third write goes over the spare the second one left: the first, longer content.
  CHECK(store.recordIp("alice", *IpAddress::parse("198.51.100.123"), 1000).outcome ==
        SetOutcome::kSaved);
  CHECK(store.recordIp("alice", *IpAddress::parse("192.0.2.77"), 1010).outcome ==
        SetOutcome::kSaved);
  REQUIRE(readFile(dir.file(".alice.cm.tmp")) == "198.51.100.123\n");
  const std::string longerJson = readFile(dir.file(".alice.json.tmp"));
  CHECK(store.recordIp("alice", *IpAddress::parse("10.0.0.1"), 1020).outcome == SetOutcome::kSaved);
  CHECK(readFile(dir.file("alice.cm")) == "10.0.0.1\n");
  const std::string json = readFile(dir.file("alice.json"));
  CHECK(json.size() < longerJson.size());
  CHECK(json.find_last_not_of('\n') == json.find_last_of('}'));  // nothing after the object
  CHECK(json.find("\"ip\":\"10.0.0.1\"") != std::string::npos);
}

TEST_CASE("Unit: last-seen times are kept in memory and flushed", "[api][unit]") {
  TempDir dir;
  {
    FileStore store(dir.path());
    const auto a = *IpAddress::parse("198.51.100.1");
    store.recordIp("alice", a, 1000);
    store.recordIp("alice", a, 2000);
    CHECK(readFile(dir.file("alice.json")).find("\"last_seen\":1000") != std::string::npos);
    store.flush();
    // In the soft-data file (docs/STORE.md), not by a rewrite of every .json.
    CHECK(readFile(dir.file(".last_seen")).find("\nalice 2000\n") != std::string::npos);
  }
  // A new store (a restart) reads the record back.
  FileStore again(dir.path());
  const auto rec = again.get("alice");
  REQUIRE(rec);
  CHECK(rec->ip->toString() == "198.51.100.1");
  CHECK(rec->firstSeen == 1000);
  CHECK(rec->lastSeen == 2000);
  CHECK(again.recordIp("alice", *IpAddress::parse("198.51.100.1"), 3000).outcome ==
        SetOutcome::kUnchanged);
}

TEST_CASE("Unit: a failed write leaves the previous record intact", "[api][unit]") {
  TempDir dir;
  FileStore store(dir.path());
  CHECK(store.recordIp("alice", *IpAddress::parse("198.51.100.1"), 1000).outcome ==
        SetOutcome::kSaved);
  // The temporary file's name is taken by a directory: the write must fail, even as root.
  REQUIRE(::mkdir(dir.file(".alice.cm.tmp").c_str(), 0755) == 0);
  CHECK(store.recordIp("alice", *IpAddress::parse("198.51.100.2"), 1001).outcome ==
        SetOutcome::kFailed);
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.1\n");
  CHECK(store.get("alice")->ip->toString() == "198.51.100.1");
  // Once the obstacle is gone the change goes through.
  ::rmdir(dir.file(".alice.cm.tmp").c_str());
  CHECK(store.recordIp("alice", *IpAddress::parse("198.51.100.2"), 1002).outcome ==
        SetOutcome::kSaved);
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.2\n");
}

TEST_CASE("Unit: one process owns a data directory", "[api][unit]") {
  TempDir dir;
  FileStore first(dir.path());
  CHECK_THROWS_WITH(FileStore(dir.path()), Catch::Contains("another chipmunk-api process"));
  CHECK_THROWS_WITH(FileStore(dir.file("missing")), Catch::Contains("cannot open data directory"));
}

TEST_CASE("Unit: an original .cm file is read as the current record", "[api][unit]") {
  TempDir dir;
  chipmunk::test::writeFile(dir.file("legacy.cm"), "203.0.113.5\n");
  FileStore store(dir.path());
  const auto rec = store.get("legacy");
  REQUIRE(rec);
  CHECK(rec->ip->toString() == "203.0.113.5");
  CHECK(store.recordIp("legacy", *IpAddress::parse("203.0.113.5"), 5).outcome ==
        SetOutcome::kUnchanged);
}

TEST_CASE("Unit: a <user>.json of deep nesting is ignored, not a crash", "[api][unit]") {
  TempDir dir;
  chipmunk::test::writeFile(dir.file("alice.cm"), "198.51.100.1\n");
  chipmunk::test::writeFile(dir.file("alice.json"), std::string(64 * 1024, '['));
  std::string deep;
  for (int i = 0; i < 12000; ++i) {
    deep += "{\"a\":";
  }
  chipmunk::test::writeFile(dir.file("bob.json"), deep);
  // Opened and read on a 256 KiB stack: within the 64 KiB read cap a recursive parse survives
  // an 8 MB stack by luck, not by design.
  std::optional<chipmunk::api::HostRecord> alice;
  REQUIRE(chipmunk::test::runOnSmallStack([&] {
    FileStore small(dir.path());
    alice = small.get("alice");
  }));
  FileStore store(dir.path());
  REQUIRE(alice);
  CHECK(alice->ip->toString() == "198.51.100.1");
  CHECK(alice->metadata.empty());
  const auto bob = store.get("bob");
  if (bob) {
    CHECK_FALSE(bob->ip);
  }
}

bool isFifo(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

TEST_CASE("Unit: FIFOs named like records or updated never block the file store", "[api][unit]") {
  // Anyone who may write the data directory can plant a FIFO: opening one for reading or
  // writing blocks until the other end opens, which would hang start-up (it loads every
  // record) or /set with the record's lock held. The check runs in a child process so that
  // a hang fails the test instead of hanging the suite.
  TempDir dir;
  for (const char* name : {"alice.cm", "bob.json", "updated", ".carol.cm.tmp", ".carol.json.tmp"}) {
    REQUIRE(::mkfifo(dir.file(name).c_str(), 0644) == 0);
  }
  const int rc = runForked(
      [&] {
        FileStore store(dir.path());  // loads alice and bob
        const auto a = *IpAddress::parse("198.51.100.1");
        if (store.recordIp("alice", a, 1000).outcome != SetOutcome::kSaved) {
          return 1;
        }
        if (store.recordIp("carol", a, 1000).outcome != SetOutcome::kSaved) {
          return 2;
        }
        if (store.recordIp("bob", a, 1000).outcome != SetOutcome::kSaved) {
          return 3;
        }
        return 0;
      },
      std::chrono::seconds(5));
  REQUIRE(rc == 0);  // -1: it hung
  // What is left: the records are regular files written over the FIFOs (rename replaces
  // the name); 'updated' is not ours to replace (tools watch it): it stays, untouched.
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.1\n");
  CHECK(readFile(dir.file("carol.cm")) == "198.51.100.1\n");
  CHECK(readFile(dir.file("bob.json")).find("\"ip\":\"198.51.100.1\"") != std::string::npos);
  CHECK(isFifo(dir.file("updated")));
  CHECK_FALSE(fileExists(dir.file(".carol.cm.tmp")));
  CHECK_FALSE(fileExists(dir.file(".carol.json.tmp")));
}

TEST_CASE("Unit: a record file that is not a regular file is ignored at load", "[api][unit]") {
  TempDir dir;
  REQUIRE(::mkfifo(dir.file("alice.cm").c_str(), 0644) == 0);
  REQUIRE(::mkdir(dir.file("bob.cm").c_str(), 0755) == 0);
  chipmunk::test::writeFile(dir.file("carol.cm"), "203.0.113.5\n");
  const int rc = runForked(
      [&] {
        FileStore store(dir.path());
        return store.get("alice") || store.get("bob") ? 1 : 0;
      },
      std::chrono::seconds(5));
  CHECK(rc == 0);
  REQUIRE(rc != -1);
  FileStore store(dir.path());
  CHECK_FALSE(store.get("alice"));
  CHECK(store.get("carol")->ip->toString() == "203.0.113.5");
  CHECK(store.list().size() == 1);
}

TEST_CASE("Unit: an address no host can have is not loaded from a record file", "[api][unit]") {
  // The rule for stored addresses holds for what is on disk: a hand-edited or planted file
  // cannot make the store publish (or push to DNS) 0.0.0.0 or a multicast address.
  TempDir dir;
  chipmunk::test::writeFile(dir.file("alice.cm"), "255.255.255.255\n");
  chipmunk::test::writeFile(
      dir.file("bob.json"),
      "{\"name\":\"bob\",\"ip\":\"224.0.0.1\",\"ipv4\":\"0.0.0.0\",\"ipv6\":\"ff02::1\"}\n");
  chipmunk::test::writeFile(dir.file("carol.cm"), "192.168.1.7\n");
  FileStore store(dir.path());
  const auto alice = store.get("alice");
  REQUIRE(alice);  // the record exists, without an address
  CHECK_FALSE(alice->ip);
  CHECK_FALSE(alice->ipv4);
  const auto bob = store.get("bob");
  REQUIRE(bob);
  CHECK_FALSE(bob->ipv4);
  CHECK_FALSE(bob->ipv6);
  CHECK(store.get("carol")->ip->toString() == "192.168.1.7");
}

TEST_CASE("Unit: times in a record file far ahead or out of range neither overflow nor stop expiry",
          "[api][unit]") {
  TempDir dir;
  const int64_t now = static_cast<int64_t>(::time(nullptr));
  // "bob": stored under a clock that was 75 years ahead. "carol": a damaged file whose
  // last_seen + ttl overflows. "dave": negative numbers.
  const std::pair<const char*, const char*> files[] = {
      {"bob",
       "{\"ipv4\":\"192.0.2.2\",\"last_seen\":4102444800,\"first_seen\":4102444800,"
       "\"ttl\":60}"},
      {"carol", "{\"ipv4\":\"192.0.2.3\",\"last_seen\":9223372036854775807,\"ttl\":60}"},
      {"dave",
       "{\"ipv4\":\"192.0.2.4\",\"last_seen\":-9223372036854775807,\"ttl\":-5,"
       "\"first_seen\":-1}"},
  };
  for (const auto& [name, json] : files) {
    chipmunk::test::writeFile(dir.file(std::string(name) + ".cm"), "192.0.2.1\n");
    chipmunk::test::writeFile(dir.file(std::string(name) + ".json"), json);
  }
  FileStore store(dir.path());
  for (const auto& [name, json] : files) {
    INFO(name);
    const auto rec = store.get(name);
    REQUIRE(rec);
    CHECK(rec->lastSeen >= 0);
    CHECK(rec->lastSeen <= now + 5);  // a time ahead counts as the time it was loaded
    CHECK(rec->firstSeen >= 0);
    CHECK(rec->ttl >= 0);
  }
  // Nothing expires before its TTL from now has passed...
  CHECK(store.expireDue(now).empty());
  // ...and a record stored under a clock far ahead expires once it has, not in year 2100.
  std::vector<std::string> expired;
  for (const auto& r : store.expireDue(now + 70)) {
    expired.push_back(r.name);
  }
  std::sort(expired.begin(), expired.end());
  CHECK(expired == std::vector<std::string>{"bob", "carol"});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
