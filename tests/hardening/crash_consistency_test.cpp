// SPDX-License-Identifier: MIT
// Crash consistency of the file store: chipmunk-api is SIGKILLed at random moments while
// clients store changing addresses, then restarted. Every record must be whole after every
// kill: <user>.cm holds exactly one of the addresses sent and a newline (never empty, torn
// or a mix), <user>.json parses, and the server starts cleanly on the same directory. With
// many writers at once their writes share directory fsyncs (group commit): every write that
// was answered must still be on disk after the kill (the .cm holds the last address answered
// for that user, or one sent after it whose answer a kill cut off). Answered writes are
// durable in the journal (<dir>/.journal) before their record files are: a restart after a
// kill that also lost every record file (what a power cut may do to files not yet synced)
// brings back every answered address from the journal.
#include <dirent.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

const std::vector<std::string> kUsers = {"alice", "bob",   "carol", "dave",
                                         "erin",  "frank", "grace", "heidi"};

// Per user: the address of the last /set answered 200, and those sent after it whose
// answers kills cut off (one per cycle at most: each may or may not have been stored).
struct Acked {
  std::mutex mutex;
  std::string answered;
  std::set<std::string> unanswered;
};

// The addresses a storm may send: IPv4 and IPv6 of different lengths, so that a torn write
// of one over another would show.
std::vector<std::string> addressPool() {
  std::vector<std::string> pool;
  for (int i = 1; i <= 20; ++i) {
    pool.push_back("198.51.100." + std::to_string(i * 12));
    pool.push_back("2001:db8:" + std::to_string(i) + "::" + std::to_string(1000 + i));
  }
  return pool;
}

// Keep-alive /set calls from one thread until `stop`; the address comes from the trusted
// proxy's X-Forwarded-For.
void storm(int port, const std::string& user, const std::vector<std::string>& pool,
           std::atomic<bool>& stop, unsigned seed, std::atomic<int>& saved, Acked& acked) {
  std::mt19937 rng(seed);
  while (!stop) {
    try {
      HttpConnection c("127.0.0.1", port, std::chrono::milliseconds(2000));
      for (int i = 0; i < 200 && !stop; ++i) {
        const std::string& ip = pool[rng() % pool.size()];
        {
          std::lock_guard<std::mutex> lock(acked.mutex);
          acked.unanswered.insert(ip);
        }
        c.sendRaw("GET /set?note=n" + std::to_string(i) +
                  " HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + ip + "\r\n" +
                  basicAuth(user, user + "-pw") + "\r\n");
        const auto r = c.readResponse();
        if (r.status == 200) {
          ++saved;
          std::lock_guard<std::mutex> lock(acked.mutex);
          acked.answered = ip;
          acked.unanswered.clear();
        }
      }
    } catch (const std::exception&) {
      // The server was killed under us: reconnect (it comes back) or stop.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  return names;
}

// Checks every user's record in `dataDir` that exists: <user>.cm is one of `allowed` and a
// newline, <user>.json (when there) parses as an object. Returns how many .cm files it read.
int checkRecordsWhole(const std::string& dataDir, const std::set<std::string>& allowed,
                      std::vector<Acked>& acked) {
  int checked = 0;
  for (size_t u = 0; u < kUsers.size(); ++u) {
    const std::string& user = kUsers[u];
    const std::string cm = dataDir + "/" + user + ".cm";
    if (!fileExists(cm)) {
      continue;  // not written yet (first cycle only)
    }
    const std::string text = readFile(cm);
    INFO(user << ".cm = \"" << text << "\"");
    REQUIRE(text.size() > 1);
    REQUIRE(text.back() == '\n');
    const std::string stored = text.substr(0, text.size() - 1);
    CHECK(allowed.count(stored) == 1);
    {
      std::lock_guard<std::mutex> lock(acked[u].mutex);
      INFO("answered " << acked[u].answered << ", " << acked[u].unanswered.size()
                       << " sent since without an answer");
      if (!acked[u].answered.empty()) {
        CHECK((stored == acked[u].answered || acked[u].unanswered.count(stored) == 1));
      }
    }
    ++checked;
    const std::string json = dataDir + "/" + user + ".json";
    if (fileExists(json)) {
      const std::string body = readFile(json);
      rapidjson::Document doc;
      doc.Parse(body.c_str(), body.size());
      INFO(user << ".json = " << body);
      CHECK_FALSE(doc.HasParseError());
      CHECK(doc.IsObject());
    }
  }
  return checked;
}

// Nothing but records, their side files, the lock, "updated" and the temporary files of
// writes that a kill interrupted (reused by the next write of the same file) may be there.
bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void checkOnlyRecordFiles(const std::string& dataDir) {
  for (const auto& name : listDir(dataDir)) {
    if (name == "." || name == ".." || name == ".chipmunk.lock" || name == "updated" ||
        name == ".last_seen" || name == ".journal") {
      continue;
    }
    INFO("in the data directory: " << name);
    CHECK((endsWith(name, ".cm") || endsWith(name, ".json") ||
           (name[0] == '.' && endsWith(name, ".tmp"))));
  }
}

// A server for kUsers and the storm of /set its clients send it.
struct Storm {
  ApiInstance api{"[Server]\ntrusted_proxies = 127.0.0.1\nthreads = 2\n\n" + usersSection()};
  std::vector<std::string> pool = addressPool();
  std::set<std::string> allowed{pool.begin(), pool.end()};
  std::mt19937 rng{Catch::rngSeed()};
  std::atomic<int> saved{0};
  std::vector<Acked> acked = std::vector<Acked>(kUsers.size());
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;

  static std::string usersSection() {
    std::string users = "[Users]\n";
    for (const auto& u : kUsers) {
      users += u + " = " + u + "-pw\n";
    }
    return users;
  }
  void start() {
    stop = false;
    for (size_t i = 0; i < kUsers.size(); ++i) {
      clients.emplace_back(storm, api.port(), kUsers[i], std::cref(pool), std::ref(stop),
                           static_cast<unsigned>(rng()), std::ref(saved), std::ref(acked[i]));
    }
  }
  // Kills the server (SIGKILL), then stops the clients.
  void kill() {
    api.process().signal(SIGKILL);
    CHECK(api.process().wait(std::chrono::seconds(5)) == 128 + SIGKILL);
    stop = true;
    for (auto& t : clients) {
      t.join();
    }
    clients.clear();
  }
};

TEST_CASE("Hardening: records stay whole when chipmunk-api is killed during a storm of /set",
          "[hardening][crash]") {
  Storm st;
  ApiInstance& api = st.api;
  int cycles = 0;
  int recordsChecked = 0;

  for (; cycles < 20; ++cycles) {
    INFO("cycle " << cycles);
    REQUIRE(api.start());
    st.start();
    // Kill at a random moment 30-250 ms into the storm.
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + st.rng() % 220));
    st.kill();

    recordsChecked += checkRecordsWhole(api.dataDir(), st.allowed, st.acked);
  }
  CHECK(st.saved > 0);
  CHECK(recordsChecked >= 2 * static_cast<int>(kUsers.size()));

  // A clean start on the directory the kills left behind: the records it serves are the
  // ones on disk, and the last answers it gives are the ones stored.
  REQUIRE(api.start());
  for (const auto& user : kUsers) {
    const auto r = httpRequest(api.port(), "GET", "/set",
                               basicAuth(user, user + "-pw") + "X-Forwarded-For: 192.0.2.77\r\n");
    CHECK(r.status == 200);
    CHECK(readFile(api.dataDir() + "/" + user + ".cm") == "192.0.2.77\n");
  }
  api.stop();
  CHECK(api.process().wait(std::chrono::seconds(5)) == 0);
  checkOnlyRecordFiles(api.dataDir());
}

TEST_CASE("Hardening: after kill -9 mid-storm the journal alone restores every answered write",
          "[hardening][crash]") {
  Storm st;
  ApiInstance& api = st.api;
  REQUIRE(api.start());
  st.start();
  // Kill once every user has an answered write (bounded), then a little later.
  for (int i = 0; i < 500 && st.saved < 4 * static_cast<int>(kUsers.size()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20 + st.rng() % 100));
  st.kill();
  REQUIRE(st.saved > 0);
  // The journal holds every change since the start (no checkpoint ran in so short a storm):
  // the record files may all be lost.
  for (const auto& name : listDir(api.dataDir())) {
    if (name[0] != '.' && (endsWith(name, ".cm") || endsWith(name, ".json"))) {
      REQUIRE(::unlink((api.dataDir() + "/" + name).c_str()) == 0);
    }
  }
  REQUIRE(api.start());  // replays the journal before it serves
  int answered = 0;
  for (size_t u = 0; u < kUsers.size(); ++u) {
    Acked& acked = st.acked[u];
    std::lock_guard<std::mutex> lock(acked.mutex);
    if (acked.answered.empty()) {
      continue;
    }
    ++answered;
    INFO(kUsers[u] << ": answered " << acked.answered);
    const std::string cm = api.dataDir() + "/" + kUsers[u] + ".cm";
    REQUIRE(fileExists(cm));
    const std::string text = readFile(cm);
    REQUIRE(text.size() > 1);
    const std::string stored = text.substr(0, text.size() - 1);
    CHECK((stored == acked.answered || acked.unanswered.count(stored) == 1));
  }
  CHECK(answered == static_cast<int>(kUsers.size()));
  api.stop();
  CHECK(api.process().wait(std::chrono::seconds(5)) == 0);
  checkOnlyRecordFiles(api.dataDir());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
