// SPDX-License-Identifier: MIT
// The Store contract (api/store.hpp), the same assertions against every implementation:
// the file store and the PostgreSQL store (on a real PostgreSQL).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/api/store_backends.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::HostRecord;
using chipmunk::api::Metadata;
using chipmunk::api::RecordUpdate;
using chipmunk::api::SetOutcome;
using chipmunk::test::FileBackend;
using chipmunk::test::PgBackend;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::string show(const std::optional<IpAddress>& a) {
  return a ? a->toString() : "-";
}

// Every field, for comparing records in one CHECK.
std::string show(const HostRecord& r) {
  std::string s = r.name + " ip=" + show(r.ip) + " v4=" + show(r.ipv4) + " v6=" + show(r.ipv6) +
                  " first=" + std::to_string(r.firstSeen) +
                  " changed=" + std::to_string(r.changedAt) +
                  " seen=" + std::to_string(r.lastSeen) + " ttl=" + std::to_string(r.ttl) +
                  " expired=" + (r.expired ? "1" : "0") + " at=" + std::to_string(r.expiredAt);
  for (const auto& [k, v] : r.metadata) {
    s += " " + k + "=" + v;
  }
  return s;
}

std::vector<std::string> names(const std::vector<HostRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    out.push_back(r.name);
  }
  return out;
}

TEMPLATE_TEST_CASE("Store contract: update outcomes and times", "[api][store][postgres]",
                   FileBackend, PgBackend) {
  TestType backend;
  auto& store = backend.store();
  CHECK_FALSE(store.get("alice"));
  auto r = store.recordIp("alice", ip("198.51.100.1"), 1000);
  CHECK(r.outcome == SetOutcome::kSaved);
  CHECK(r.addressChanged());
  CHECK(show(r.after) ==
        "alice ip=198.51.100.1 v4=198.51.100.1 v6=- first=1000 changed=1000 "
        "seen=1000 ttl=0 expired=0 at=0");
  r = store.recordIp("alice", ip("198.51.100.1"), 1010);
  CHECK(r.outcome == SetOutcome::kUnchanged);
  CHECK_FALSE(r.addressChanged());
  CHECK(r.before.lastSeen == 1000);
  CHECK(r.after.lastSeen == 1010);
  CHECK(store.get("alice")->lastSeen == 1010);
  // An IPv6 address joins the IPv4 one and becomes the primary address.
  r = store.recordIp("alice", ip("2001:db8::1"), 1020);
  CHECK(r.outcome == SetOutcome::kSaved);
  CHECK(r.addressChanged());
  CHECK(show(*store.get("alice")) ==
        "alice ip=2001:db8::1 v4=198.51.100.1 v6=2001:db8::1 first=1000 changed=1020 seen=1020 "
        "ttl=0 expired=0 at=0");
  // Metadata and TTL changes are saved, but the address did not move.
  RecordUpdate meta;
  meta.ipv4 = ip("198.51.100.1");
  meta.primary = ip("2001:db8::1");
  meta.metadata = Metadata{{"lan_ip", "192.168.1.10"}, {"note", "den"}};
  r = store.update("alice", meta, 1030);
  CHECK(r.outcome == SetOutcome::kSaved);
  CHECK_FALSE(r.addressChanged());
  CHECK(r.after.changedAt == 1020);
  CHECK(store.update("alice", meta, 1040).outcome == SetOutcome::kUnchanged);
  meta.ttl = 300;
  CHECK(store.update("alice", meta, 1050).outcome == SetOutcome::kSaved);
  const auto stored = store.get("alice");
  REQUIRE(stored);
  CHECK(show(*stored) ==
        "alice ip=2001:db8::1 v4=198.51.100.1 v6=2001:db8::1 first=1000 changed=1020 seen=1050 "
        "ttl=300 expired=0 at=0 lan_ip=192.168.1.10 note=den");
  // Last-seen times survive a flush and a reopening.
  CHECK(store.recordIp("bob", ip("192.0.2.7"), 2000).outcome == SetOutcome::kSaved);
  CHECK(store.recordIp("bob", ip("192.0.2.7"), 2500).outcome == SetOutcome::kUnchanged);
  store.flush();
  backend.reopen();
  CHECK(backend.store().get("bob")->lastSeen == 2500);
  CHECK(backend.store().get("bob")->changedAt == 2000);
}

TEMPLATE_TEST_CASE("Store contract: a record expires after its TTL and comes back",
                   "[api][store][postgres]", FileBackend, PgBackend) {
  TestType backend;
  auto& store = backend.store();
  RecordUpdate u;
  u.ipv4 = ip("198.51.100.1");
  u.ttl = 60;
  CHECK(store.update("alice", u, 1000).outcome == SetOutcome::kSaved);
  CHECK(store.recordIp("bob", ip("198.51.100.2"), 1000).outcome == SetOutcome::kSaved);  // no ttl
  // A poll without a change keeps the record alive.
  CHECK(store.update("alice", u, 1040).outcome == SetOutcome::kUnchanged);
  store.flush();
  CHECK(store.expireDue(1099).empty());
  const auto expired = store.expireDue(1100);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].name == "alice");
  CHECK(show(expired[0].ip) == "198.51.100.1");  // as it was before expiring
  auto now = store.get("alice");
  REQUIRE(now);
  CHECK(now->expired);
  CHECK_FALSE(now->ip);
  CHECK_FALSE(now->hasAddress());
  CHECK(now->expiredAt == 1100);
  CHECK(store.expireDue(5000).empty());  // once only; bob has no TTL
  // The same address again: saved, the address is back, expiry cleared.
  const auto back = store.update("alice", u, 1200);
  CHECK(back.outcome == SetOutcome::kSaved);
  CHECK(back.addressChanged());
  now = store.get("alice");
  CHECK(show(*now) ==
        "alice ip=198.51.100.1 v4=198.51.100.1 v6=- first=1000 changed=1200 "
        "seen=1200 ttl=60 expired=0 at=0");
  CHECK(store.expireDue(1259).empty());
  CHECK(store.expireDue(1260).size() == 1);
}

TEMPLATE_TEST_CASE("Store contract: list is sorted and listAfter pages through it",
                   "[api][store][postgres]", FileBackend, PgBackend) {
  TestType backend;
  auto& store = backend.store();
  std::vector<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    expected.push_back((i % 2 ? "host" : "Host") + std::to_string(100 + i) + ".example.org");
  }
  expected.push_back("alice");
  expected.push_back("Zed");
  for (const auto& name : expected) {
    REQUIRE(store.recordIp(name, ip("192.0.2.1"), 1000).outcome == SetOutcome::kSaved);
  }
  std::sort(expected.begin(), expected.end());  // bytewise: upper case first
  CHECK(names(store.list()) == expected);
  std::vector<std::string> paged;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = store.listAfter(cursor, 7);
    CHECK(page.size() <= 7);
    if (page.empty()) {
      break;
    }
    for (const auto& n : names(page)) {
      paged.push_back(n);
    }
    cursor = page.back().name;
  }
  CHECK(paged == expected);
  CHECK(store.listAfter("zzz", 7).empty());
  CHECK(store.listAfter("", 0).empty());
}

TEMPLATE_TEST_CASE("Store contract: put writes a record exactly", "[api][store][postgres]",
                   FileBackend, PgBackend) {
  TestType backend;
  HostRecord r;
  r.name = "gw.example.org";
  r.ipv4 = ip("203.0.113.9");
  r.ipv6 = ip("2001:db8::9");
  r.firstSeen = 100;
  r.changedAt = 200;
  r.lastSeen = 300;
  r.ttl = 600;
  r.expired = true;
  r.expiredAt = 900;
  r.metadata = {{"wg_listen_port", "51820"}, {"note", "quote \" and \\ and é"}};
  REQUIRE(backend.store().put(r));
  backend.reopen();
  auto got = backend.store().get(r.name);
  REQUIRE(got);
  CHECK(show(*got) == show(r));
  // A second put replaces every field.
  r.expired = false;
  r.expiredAt = 0;
  r.ip = r.ipv6;
  r.metadata.clear();
  REQUIRE(backend.store().put(r));
  got = backend.store().get(r.name);
  REQUIRE(got);
  CHECK(show(*got) == show(r));
}

TEMPLATE_TEST_CASE("Store contract: a failed write keeps the previous record",
                   "[api][store][postgres]", FileBackend, PgBackend) {
  TestType backend;
  auto& store = backend.store();
  REQUIRE(store.recordIp("alice", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  backend.breakWrites("alice");
  const auto failed = store.recordIp("alice", ip("198.51.100.2"), 1010);
  CHECK(failed.outcome == SetOutcome::kFailed);
  CHECK(show(failed.after) == show(failed.before));
  CHECK(show(store.get("alice")->ip) == "198.51.100.1");
  backend.healWrites("alice");
  CHECK(store.recordIp("alice", ip("198.51.100.2"), 1020).outcome == SetOutcome::kSaved);
  backend.reopen();
  CHECK(show(backend.store().get("alice")->ip) == "198.51.100.2");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
