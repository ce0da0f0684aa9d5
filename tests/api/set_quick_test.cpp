// SPDX-License-Identifier: MIT
// An update that changes nothing (/set, /nic/update with the address the record has) is
// answered on the I/O thread from the file store's memory (Store::updateIfUnchanged,
// Route::quick): no writer thread, no journal entry. Anything else still goes to a writer.
// Asserted structurally: the store's update() is gated shut, so an answer that arrives
// while it is shut never went through it; the server has a single I/O thread.
#include <poll.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "api/file_store.hpp"
#include "api/server.hpp"
#include "config/api_config.hpp"
#include "tests/support/gate.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;
using namespace std::chrono_literals;

// A real file store whose update() (the writers' path) waits at a gate; the quick path
// goes straight to the file store and is counted.
class GatedStore final : public Store {
 public:
  explicit GatedStore(const std::string& dir) : files_(dir) {}
  FileStore& files() { return files_; }
  test::Gate& gate() { return gate_; }
  int quick() const { return quick_.load(); }

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& u, int64_t now) override {
    gate_.pass(20s);
    return files_.update(name, u, now);
  }
  bool updateIfUnchanged(const std::string& name, const RecordUpdate& u, int64_t now) override {
    const bool applied = files_.updateIfUnchanged(name, u, now);
    quick_ += applied ? 1 : 0;
    return applied;
  }
  bool answersUnchanged() const override { return files_.answersUnchanged(); }
  std::optional<HostRecord> get(const std::string& name) override { return files_.get(name); }
  std::vector<HostRecord> list() override { return files_.list(); }
  bool put(const HostRecord& record) override { return files_.put(record); }
  std::vector<HostRecord> expireDue(int64_t now) override { return files_.expireDue(now); }
  void flush() override { files_.flush(); }

 private:
  FileStore files_;
  test::Gate gate_;
  std::atomic<int> quick_{0};
};

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A server with one I/O thread in front of a GatedStore that holds alice = 127.0.0.1 (seen
// 100 s ago); alice also owns nas.example.org (no record yet).
struct Fixture {
  test::TempDir dir;
  std::shared_ptr<GatedStore> store;
  std::unique_ptr<ApiServer> server;
  int64_t seeded = unixNow() - 100;
  const std::string alice = test::basicAuth("alice", "alice-pw");

  explicit Fixture(const std::string& extra = {}) {
    std::filesystem::create_directory(dir.file("data"));
    test::writeFile(dir.file("api.ini"),
                    "[Paths]\nclient_update_dir = " + dir.file("data") +
                        "\n[Server]\nlisten = 127.0.0.1:0\nthreads = 1\n[Users]\nalice = "
                        "alice-pw\n[Hosts]\nnas.example.org = alice\n" +
                        extra);
    config::ApiConfig cfg;
    std::vector<std::string> errors;
    REQUIRE(config::loadApiConfig(dir.file("api.ini"), cfg, errors));
    store = std::make_shared<GatedStore>(dir.file("data"));
    REQUIRE(store->files().recordIp("alice", *IpAddress::parse("127.0.0.1"), seeded).outcome ==
            SetOutcome::kSaved);
    server = std::make_unique<ApiServer>(cfg, store);
    server->start();
  }
  ~Fixture() {
    store->gate().open();
    server->shutdown();
  }
  int port() const { return server->port(); }
  // chipmunk_api_quick_updates_total as /metrics tells it (-1: not there).
  long quickMetric() const {
    const std::string body = test::httpRequest(port(), "GET", "/metrics").body;
    const std::string name = "\nchipmunk_api_quick_updates_total ";
    const auto at = body.find(name);
    return at == std::string::npos ? -1 : std::stol(body.substr(at + name.size()));
  }
};

std::string rawGet(const std::string& target, const std::string& extra) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

TEST_CASE("Integration: an unchanged /set is answered on the I/O thread while every write waits",
          "[api][integration]") {
  Fixture f;
  const uint64_t fsyncs = f.store->files().counters().fsyncs.load();
  const size_t journal = f.store->files().journalBytes();
  auto set = std::async(std::launch::async,
                        [&] { return test::httpRequest(f.port(), "GET", "/set", f.alice); });
  const bool answered = set.wait_for(5s) == std::future_status::ready;
  CHECK(f.store->gate().entered() == 0);  // checked before the gate opens
  f.store->gate().open();
  CHECK(answered);
  const auto r = set.get();
  CHECK(r.status == 200);
  CHECK(r.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");
  CHECK(f.store->quick() == 1);
  CHECK(f.quickMetric() == 1);
  // As an unchanged /set always did: the last-seen time in memory, nothing written.
  const auto record = f.store->files().get("alice");
  REQUIRE(record);
  CHECK(record->lastSeen > f.seeded);
  CHECK(record->ip->toString() == "127.0.0.1");
  CHECK(f.store->files().counters().fsyncs.load() == fsyncs);
  CHECK(f.store->files().journalBytes() == journal);
}

TEST_CASE("Integration: a /set that changes the address still goes to a writer thread",
          "[api][integration]") {
  Fixture f;
  const uint64_t fsyncs = f.store->files().counters().fsyncs.load();
  // Another client address of the same user: 127.0.0.2.
  test::HttpConnection moved("127.0.0.1", f.port(), 10s, "127.0.0.2");
  moved.sendRaw(rawGet("/set", f.alice));
  REQUIRE(f.store->gate().waitEntered(1));  // in the writers' path, parked
  // The I/O thread is free meanwhile, and still answers an unchanged /set itself.
  const auto same = test::httpRequest(f.port(), "GET", "/set", f.alice);
  CHECK(same.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");
  CHECK(f.store->gate().entered() == 1);
  f.store->gate().open();
  const auto r = moved.readResponse();
  CHECK(r.status == 200);
  CHECK(r.body == "{\"Client_IP\": \"127.0.0.2\", \"status\": \"saved\"}");
  CHECK(f.store->files().get("alice")->ip->toString() == "127.0.0.2");
  CHECK(f.store->files().counters().fsyncs.load() > fsyncs);  // journalled
  CHECK(f.quickMetric() == 1);
}

TEST_CASE("Integration: pipelined /set and /get/ip are answered in order around a quick /set",
          "[api][integration]") {
  Fixture f;
  test::HttpConnection conn("127.0.0.1", f.port());
  // A new record (a writer), a read, then an unchanged /set (the I/O thread): all three sent
  // at once.
  conn.sendRaw(rawGet("/set?hostname=nas.example.org", f.alice) + rawGet("/get/ip", f.alice) +
               rawGet("/set", f.alice));
  REQUIRE(f.store->gate().waitEntered(1));
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (f.store->quick() < 1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(f.store->quick() == 1);  // the third is answered...
  pollfd p{conn.fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // ...but waits behind the first, as the second does
  f.store->gate().open();
  const auto first = conn.readResponse();
  const auto second = conn.readResponse();
  const auto third = conn.readResponse();
  CHECK(first.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}");
  CHECK(second.body == "Your IP:  127.0.0.1");
  CHECK(third.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");
  CHECK(f.store->files().get("nas.example.org")->ip->toString() == "127.0.0.1");
}

TEST_CASE("Integration: a dyndns2 nochg is answered on the I/O thread, counted once per update",
          "[api][integration]") {
  Fixture f("[DynDNS]\nabuse_nochg_limit = 2\n");
  const std::string agent = f.alice + "User-Agent: chipmunk-test/1.0\r\n";
  const auto nic = [&](const std::string& query) {
    return test::httpRequest(f.port(), "GET", "/nic/update?" + query, agent);
  };
  CHECK(nic("hostname=alice&myip=127.0.0.1").body == "nochg 127.0.0.1\n");
  CHECK(f.store->quick() == 1);
  CHECK(f.store->gate().entered() == 0);
  // Two hosts go to a writer (one of them is new): the nochg of alice counts once there.
  auto two = std::async(std::launch::async,
                        [&] { return nic("hostname=alice,nas.example.org&myip=127.0.0.1"); });
  REQUIRE(f.store->gate().waitEntered(1));
  f.store->gate().open();
  CHECK(two.get().body == "nochg 127.0.0.1\ngood 127.0.0.1\n");
  CHECK(f.store->quick() == 1);
  // The limit (2) is reached: blocked, as without the quick path.
  CHECK(nic("hostname=alice&myip=127.0.0.1").body == "abuse\n");
}

TEST_CASE("Unit: the file store applies from memory only an update that changes nothing",
          "[api][unit]") {
  test::TempDir dir;
  FileStore store(dir.path());
  const auto a = *IpAddress::parse("198.51.100.1");
  RecordUpdate same;
  same.ipv4 = same.primary = a;
  CHECK_FALSE(store.updateIfUnchanged("alice", same, 1000));  // no such record: a write
  REQUIRE(store.recordIp("alice", a, 1000).outcome == SetOutcome::kSaved);
  const uint64_t fsyncs = store.counters().fsyncs.load();
  const size_t journal = store.journalBytes();
  CHECK(store.updateIfUnchanged("alice", same, 1500));
  CHECK(store.get("alice")->lastSeen == 1500);
  CHECK(store.get("alice")->changedAt == 1000);
  CHECK(store.counters().fsyncs.load() == fsyncs);  // nothing written
  CHECK(store.journalBytes() == journal);
  // Anything update() would write is left to it: the record stays as it was.
  RecordUpdate moved;
  moved.ipv4 = moved.primary = *IpAddress::parse("198.51.100.2");
  RecordUpdate noted = same;
  noted.metadata = Metadata{{"note", "attic"}};
  RecordUpdate longer = same;
  longer.ttl = 3600;
  RecordUpdate dual = same;  // an IPv6 address besides: a change
  dual.ipv6 = *IpAddress::parse("2001:db8::1");
  RecordUpdate sameNote = same;  // metadata equal to none stored: no change
  sameNote.metadata = Metadata{};
  CHECK(store.updateIfUnchanged("alice", sameNote, 1500));
  for (const RecordUpdate* u : {&moved, &noted, &longer, &dual}) {
    CHECK_FALSE(store.updateIfUnchanged("alice", *u, 1600));
  }
  CHECK(store.get("alice")->ip->toString() == "198.51.100.1");
  CHECK(store.get("alice")->lastSeen == 1500);
  CHECK(store.get("alice")->metadata.empty());
  // An expired record coming back is a change too.
  CHECK(store.expireDue(1000000).empty());  // no ttl: never expires
  REQUIRE(store.update("alice", longer, 1700).outcome == SetOutcome::kSaved);
  REQUIRE(store.expireDue(1700 + 3601).size() == 1);
  CHECK_FALSE(store.updateIfUnchanged("alice", longer, 1700 + 3602));
}

TEST_CASE("Unit: the file store's quick update declines at once while a writer holds the record",
          "[api][unit]") {
  test::TempDir dir;
  // A journal that is full after one entry and never checkpointed in time: the next write
  // waits inside the store (holding its record's lock) for 1.5 s, then fails.
  Journal::Limits limits;
  limits.maxBytes = 1;
  limits.checkpointBytes = 1u << 30;
  limits.checkpointEntries = 1u << 30;
  limits.maxWait = 1500ms;
  FileStore store(dir.path(), limits);
  const auto a = *IpAddress::parse("198.51.100.1");
  RecordUpdate same;
  same.ipv4 = same.primary = a;
  REQUIRE(store.recordIp("alice", a, 1000).outcome == SetOutcome::kSaved);
  auto writer = std::async(std::launch::async, [&] {
    return store.recordIp("alice", *IpAddress::parse("198.51.100.2"), 1100).outcome;
  });
  bool declined = false;
  auto slowest = std::chrono::steady_clock::duration::zero();
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (!declined && std::chrono::steady_clock::now() < until) {
    const auto start = std::chrono::steady_clock::now();
    declined = !store.updateIfUnchanged("alice", same, 1050);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
  }
  CHECK(declined);
  CHECK(slowest < 200ms);  // never waited for the writer (it holds the lock 1.5 s)
  CHECK(writer.get() == SetOutcome::kFailed);
  CHECK(store.updateIfUnchanged("alice", same, 1200));  // the lock is free again
}

TEST_CASE("Unit: the file store's quick update finds each record of its own store only",
          "[api][unit]") {
  // An I/O thread remembers the records it found (FileStore::NodeMemo): 200 names share its
  // 64 slots, and a store opened after another (often at the same address) is not the old one.
  const auto a = *IpAddress::parse("198.51.100.1");
  RecordUpdate same;
  same.ipv4 = same.primary = a;
  test::TempDir first;
  test::TempDir second;
  {
    FileStore one(first.path());
    for (int i = 0; i < 200; ++i) {
      REQUIRE(one.recordIp("h" + std::to_string(i), a, 1000).outcome == SetOutcome::kSaved);
    }
    for (const int64_t now : {1100, 1200}) {
      for (int i = 0; i < 200; ++i) {
        CHECK(one.updateIfUnchanged("h" + std::to_string(i), same, now + i));
      }
    }
    for (int i = 0; i < 200; i += 37) {
      CHECK(one.get("h" + std::to_string(i))->lastSeen == 1200 + i);
    }
  }
  {
    FileStore two(second.path());
    CHECK_FALSE(two.updateIfUnchanged("h0", same, 1300));  // not in this store: a write
    REQUIRE(two.recordIp("h0", *IpAddress::parse("198.51.100.2"), 1300).outcome ==
            SetOutcome::kSaved);
    CHECK_FALSE(two.updateIfUnchanged("h0", same, 1400));  // its own record has another address
  }
  FileStore again(first.path());
  CHECK(again.get("h0")->lastSeen == 1200);  // the quick updates' last-seen times were flushed
  CHECK(again.updateIfUnchanged("h0", same, 1500));
}

TEST_CASE("Unit: a quick update in the second already stored writes nothing more, and is kept",
          "[api][unit]") {
  test::TempDir dir;
  const auto a = *IpAddress::parse("198.51.100.1");
  RecordUpdate same;
  same.ipv4 = same.primary = a;
  {
    FileStore store(dir.path());
    REQUIRE(store.recordIp("alice", a, 1000).outcome == SetOutcome::kSaved);
    CHECK(store.updateIfUnchanged("alice", same, 1500));
    store.flush();  // .last_seen holds 1500
    const uint64_t fsyncs = store.counters().fsyncs.load();
    CHECK(store.updateIfUnchanged("alice", same, 1500));  // the same second: nothing to flush
    store.flush();
    CHECK(store.counters().fsyncs.load() == fsyncs);
    CHECK(store.updateIfUnchanged("alice", same, 1501));  // a later one is flushed
    store.flush();
    CHECK(store.counters().fsyncs.load() > fsyncs);
  }
  FileStore reopened(dir.path());
  CHECK(reopened.get("alice")->lastSeen == 1501);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
