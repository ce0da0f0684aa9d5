// SPDX-License-Identifier: MIT
// What the real chipmunk-api binary writes for /set: <user>.cm and 'updated' as the original
// Chipmunk wrote them, only on change, across restarts, and nothing torn on failure.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <thread>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\nbob = hunter2\n";
const std::string kAlice = basicAuth("alice", "secret");
const std::string kSaved = "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}";
const std::string kUnchanged = "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}";

ino_t inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// File timestamps come from a coarse clock: wait long enough that a rewrite or touch would
// show as a different mtime.
void letTheClockTick() {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
}

TEST_CASE("Integration: /set writes <user>.cm and touches updated only on change",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const std::string cm = api.dataDir() + "/alice.cm";
  const std::string updated = api.dataDir() + "/updated";
  CHECK_FALSE(fileExists(cm));

  const auto first = httpRequest(api.port(), "GET", "/set", kAlice);
  CHECK(first.status == 200);
  CHECK(first.header("content-type") == "application/json");
  CHECK(first.body == kSaved);
  CHECK(readFile(cm) == "127.0.0.1\n");
  REQUIRE(fileExists(updated));
  const ino_t cmInode = inode(cm);
  const long long cmTime = mtimeNs(cm);
  const long long updatedTime = mtimeNs(updated);

  letTheClockTick();
  // Same address, GET and POST (with a form body): unchanged, nothing rewritten or touched.
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body == kUnchanged);
  CHECK(httpRequest(api.port(), "POST", "/set", kAlice).body == kUnchanged);
  CHECK(httpRequest(api.port(), "POST", "/set",
                    kAlice + "Content-Type: application/x-www-form-urlencoded\r\n", "")
            .body == kUnchanged);
  CHECK(readFile(cm) == "127.0.0.1\n");
  CHECK(inode(cm) == cmInode);
  CHECK(mtimeNs(cm) == cmTime);
  CHECK(mtimeNs(updated) == updatedTime);
  // /get/ip does not store.
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).status == 200);
  CHECK(mtimeNs(updated) == updatedTime);

  // A new address (the same user from 127.0.0.2) is saved: replaced, and updated touched.
  const auto moved = requestFrom("127.0.0.2", api.port(), "POST", "/set", kAlice);
  CHECK(moved.status == 200);
  CHECK(moved.body == "{\"Client_IP\": \"127.0.0.2\", \"status\": \"saved\"}");
  CHECK(readFile(cm) == "127.0.0.2\n");
  CHECK(inode(cm) != cmInode);
  CHECK(mtimeNs(updated) > updatedTime);
  // And back.
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body == kSaved);
  CHECK(readFile(cm) == "127.0.0.1\n");

  // Records are per user; no temporary files are left behind.
  CHECK_FALSE(fileExists(api.dataDir() + "/bob.cm"));
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("bob", "hunter2")).body == kSaved);
  CHECK(readFile(api.dataDir() + "/bob.cm") == "127.0.0.1\n");
  // A write leaves the file's older content at .<file>.tmp, written over by the next write
  // (no inode per write); the checkpoint removes them, the last one when the server stops.
  api.stop();
  CHECK(api.process().wait(std::chrono::seconds(5)) == 0);
  CHECK_FALSE(fileExists(api.dataDir() + "/.alice.cm.tmp"));
  CHECK_FALSE(fileExists(api.dataDir() + "/.alice.json.tmp"));
  CHECK_FALSE(fileExists(api.dataDir() + "/.bob.cm.tmp"));
}

TEST_CASE("Integration: records survive a restart and original .cm files are read",
          "[api][integration]") {
  ApiInstance api(kUsers);
  // bob's record as the original Python Chipmunk left it.
  writeFile(api.dataDir() + "/bob.cm", "192.0.2.1\n");
  REQUIRE(api.start());
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body == kSaved);
  const long long updatedTime = mtimeNs(api.dataDir() + "/updated");

  api.stop();
  CHECK(api.process().wait(std::chrono::seconds(5)) == 0);
  letTheClockTick();
  REQUIRE(api.start());
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body == kUnchanged);
  CHECK(mtimeNs(api.dataDir() + "/updated") == updatedTime);
  CHECK(readFile(api.dataDir() + "/alice.cm") == "127.0.0.1\n");

  // bob moved from 192.0.2.1: saved.
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("bob", "hunter2")).body == kSaved);
  CHECK(readFile(api.dataDir() + "/bob.cm") == "127.0.0.1\n");
  CHECK(mtimeNs(api.dataDir() + "/updated") > updatedTime);

  // One server per data directory: a second one on the same directory refuses to start.
  ApiInstance second(kUsers);
  second.rewriteConfig("[Paths]\nclient_update_dir = " + api.dataDir() + "\n\n" + kUsers, true);
  CHECK_FALSE(second.start());
  CHECK(contains(second.log(), "another chipmunk-api process uses data directory"));
  CHECK(second.process().wait(std::chrono::seconds(5)) == 1);
}

TEST_CASE("Integration: a failed write answers 503 and keeps the previous record",
          "[api][integration]") {
  // File permissions do not stop root (the tests may run as root), so the write is made to
  // fail by a directory where the store's file goes: the temporary file (create fails with
  // EISDIR) or the record itself (rename over a directory fails with EISDIR).
  ApiInstance api(kUsers);
  const std::string cm = api.dataDir() + "/alice.cm";
  const std::string tmp = api.dataDir() + "/.alice.cm.tmp";
  writeFile(cm, "192.0.2.1\n");
  REQUIRE(::mkdir(tmp.c_str(), 0755) == 0);
  REQUIRE(::mkdir((api.dataDir() + "/bob.cm").c_str(), 0755) == 0);
  REQUIRE(api.start());

  for (const std::string method : {"GET", "POST"}) {
    const auto r = httpRequest(api.port(), method, "/set", kAlice);
    CHECK(r.status == 503);
    CHECK(r.header("retry-after") == "5");
    CHECK(r.header("content-type").rfind("text/plain", 0) == 0);
    CHECK(r.body == "Failed to persist information.");
    CHECK(readFile(cm) == "192.0.2.1\n");
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/updated"));
  const auto bob = httpRequest(api.port(), "GET", "/set", basicAuth("bob", "hunter2"));
  CHECK(bob.status == 503);
  CHECK(bob.body == "Failed to persist information.");
  CHECK_FALSE(fileExists(api.dataDir() + "/.bob.cm.tmp"));
  // The failure is logged with the file, without internals in the answer.
  CHECK(api.waitForLog("record write failed name=alice"));
  CHECK(api.waitForLog("record write failed name=bob"));
  CHECK(api.process().running());

  // Once the obstacle is gone the same request is saved.
  REQUIRE(::rmdir(tmp.c_str()) == 0);
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body == kSaved);
  CHECK(readFile(cm) == "127.0.0.1\n");
  CHECK(fileExists(api.dataDir() + "/updated"));
}

bool isFifo(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// /set on a connection of its own that gives up after `timeout` (status 0).
HttpResponse setWithin(int port, const std::string& auth, std::chrono::milliseconds timeout) {
  try {
    HttpConnection conn("127.0.0.1", port, timeout);
    conn.sendRaw("GET /set HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + auth + "\r\n");
    return conn.readResponse();
  } catch (const std::exception&) {
    return {};
  }
}

TEST_CASE("Integration: a FIFO named updated does not hang /set", "[api][integration]") {
  // Touching 'updated' used to open it for writing: on a FIFO that blocks until a reader
  // comes, with the record's lock held.
  ApiInstance api(kUsers);
  const std::string updated = api.dataDir() + "/updated";
  REQUIRE(::mkfifo(updated.c_str(), 0644) == 0);
  REQUIRE(api.start());
  const auto r = setWithin(api.port(), kAlice, std::chrono::seconds(5));
  CHECK(r.status == 200);
  CHECK(r.body == kSaved);
  CHECK(readFile(api.dataDir() + "/alice.cm") == "127.0.0.1\n");
  // The FIFO is not ours to replace; the refusal is logged.
  CHECK(isFifo(updated));
  CHECK(api.waitForLog("cannot touch"));
  CHECK(api.log().find("not a regular file") != std::string::npos);
  // The record's lock was released: the next /set of the same record is answered too.
  CHECK(setWithin(api.port(), kAlice, std::chrono::seconds(5)).body == kUnchanged);
}

TEST_CASE("Integration: FIFOs named like records do not hang start-up or /set",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(::mkfifo((api.dataDir() + "/alice.cm").c_str(), 0644) == 0);
  REQUIRE(::mkfifo((api.dataDir() + "/bob.json").c_str(), 0644) == 0);
  REQUIRE(api.start());  // start-up loads every record: it used to block on alice.cm
  CHECK(api.log().find("not a regular file") != std::string::npos);
  // The records start empty, and a /set writes regular files over the FIFOs.
  CHECK(setWithin(api.port(), kAlice, std::chrono::seconds(5)).body == kSaved);
  CHECK(setWithin(api.port(), basicAuth("bob", "hunter2"), std::chrono::seconds(5)).body == kSaved);
  CHECK(readFile(api.dataDir() + "/alice.cm") == "127.0.0.1\n");
  CHECK_FALSE(isFifo(api.dataDir() + "/bob.json"));
  CHECK(api.process().running());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
