// SPDX-License-Identifier: MIT
// An update that changes nothing (/set, /nic/update with the address the record has) is
// answered on the I/O thread from the file store's memory (Store::updateIfUnchanged,
// Route::quick): no writer thread, no journal entry. Anything else still goes to a writer.
// Asserted structurally: the store's update() is gated shut, so an answer that arrives
// while it is shut never went through it; the server has a single I/O thread.
#include <poll.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "api/file_store.hpp"
#include "api/server.hpp"
#include "config/api_config.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

using namespace chipmunk;
using namespace chipmunk::api;
using namespace std::chrono_literals;

namespace {

// A real file store whose update() (the writers' path) waits until open(); the quick path
// goes straight to the file store and is counted.
class GatedStore final : public Store {
 public:
  explicit GatedStore(const std::string& dir) : files_(dir) {}
  FileStore& files() { return files_; }

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& u, int64_t now) override {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++inside_;
      cv_.notify_all();
      cv_.wait_for(lock, 20s, [this] { return open_; });
    }
    return files_.update(name, u, now);
  }
  std::optional<UpdateResult> updateIfUnchanged(const std::string& name, const RecordUpdate& u,
                                                int64_t now) override {
    auto r = files_.updateIfUnchanged(name, u, now);
    std::lock_guard<std::mutex> lock(mutex_);
    quick_ += r ? 1 : 0;
    return r;
  }
  bool answersUnchanged() const override { return files_.answersUnchanged(); }
  std::optional<HostRecord> get(const std::string& name) override { return files_.get(name); }
  std::vector<HostRecord> list() override { return files_.list(); }
  bool put(const HostRecord& record) override { return files_.put(record); }
  std::vector<HostRecord> expireDue(int64_t now) override { return files_.expireDue(now); }
  void flush() override { files_.flush(); }

  bool waitInside(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 10s, [&] { return inside_ >= count; });
  }
  int inside() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inside_;
  }
  int quick() {
    std::lock_guard<std::mutex> lock(mutex_);
    return quick_;
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  FileStore files_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int inside_ = 0;
  int quick_ = 0;
  bool open_ = false;
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
    store->open();
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

}  // namespace

TEST_CASE("Integration: an unchanged /set is answered on the I/O thread while every write waits",
          "[api][integration]") {
  Fixture f;
  const uint64_t fsyncs = f.store->files().counters().fsyncs.load();
  const size_t journal = f.store->files().journalBytes();
  auto set = std::async(std::launch::async,
                        [&] { return test::httpRequest(f.port(), "GET", "/set", f.alice); });
  const bool answered = set.wait_for(5s) == std::future_status::ready;
  CHECK(f.store->inside() == 0);  // checked before the gate opens
  f.store->open();
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
  REQUIRE(f.store->waitInside(1));  // in the writers' path, parked
  // The I/O thread is free meanwhile, and still answers an unchanged /set itself.
  const auto same = test::httpRequest(f.port(), "GET", "/set", f.alice);
  CHECK(same.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");
  CHECK(f.store->inside() == 1);
  f.store->open();
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
  REQUIRE(f.store->waitInside(1));
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (f.store->quick() < 1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(f.store->quick() == 1);  // the third is answered...
  pollfd p{conn.fd(), POLLIN, 0};
  CHECK(::poll(&p, 1, 200) == 0);  // ...but waits behind the first, as the second does
  f.store->open();
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
  CHECK(f.store->inside() == 0);
  // Two hosts go to a writer (one of them is new): the nochg of alice counts once there.
  auto two = std::async(std::launch::async,
                        [&] { return nic("hostname=alice,nas.example.org&myip=127.0.0.1"); });
  REQUIRE(f.store->waitInside(1));
  f.store->open();
  CHECK(two.get().body == "nochg 127.0.0.1\ngood 127.0.0.1\n");
  CHECK(f.store->quick() == 1);
  // The limit (2) is reached: blocked, as without the quick path.
  CHECK(nic("hostname=alice&myip=127.0.0.1").body == "abuse\n");
}
