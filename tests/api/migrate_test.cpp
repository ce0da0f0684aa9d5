// SPDX-License-Identifier: MIT
// chipmunk-api migrate: the real binary copies records between stores and verifies them
// field by field; a tampered target, a lossy store and a locked directory are caught.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "api/directory.hpp"
#include "api/file_store.hpp"
#include "api/migrate.hpp"
#include "common/password_hash.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using chipmunk::api::FileStore;
using chipmunk::api::HostRecord;
using chipmunk::api::MigrateReport;
using chipmunk::test::PostgresServer;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

// Records that between them carry every field: IPv4 only, IPv6 only, both with metadata
// and a TTL, and an expired one (addresses withdrawn, kept in ipv4/ipv6).
std::vector<HostRecord> everyKindOfRecord() {
  HostRecord v4;
  v4.name = "alice";
  v4.ip = v4.ipv4 = ip("198.51.100.7");
  v4.firstSeen = 1700000000;
  v4.changedAt = 1700000100;
  v4.lastSeen = 1700000200;
  HostRecord v6;
  v6.name = "bob.example.org";
  v6.ip = v6.ipv6 = ip("2001:db8::42");
  v6.firstSeen = 1700000001;
  v6.changedAt = 1700000002;
  v6.lastSeen = 1700000003;
  v6.ttl = 3600;
  HostRecord both = v4;
  both.name = "carol";
  both.ipv6 = ip("2001:db8:1::1");
  both.ttl = 86400;
  both.metadata = {{"lan_ip", "192.168.1.10"}, {"wg_listen_port", "51820"}};
  HostRecord expired = both;
  expired.name = "dave";
  expired.ip.reset();
  expired.expired = true;
  expired.expiredAt = 1700009999;
  return {v4, v6, both, expired};
}

void fill(const std::string& dir, const std::vector<HostRecord>& records) {
  FileStore store(dir);
  for (const auto& r : records) {
    REQUIRE(store.put(r));
  }
}

// A directory of one user (carol, `hash`), her host nas.example.org and a token for it.
api::DirectoryToken fillDirectory(const std::string& dataDir, const std::string& hash) {
  api::DirectoryToken token;
  token.id = "3f9c1a0b2d4e";
  token.owner = "carol";
  token.digest = api::tokenDigestHex("0123456789abcdef0123456789abcdef01234567");
  token.hosts = {"nas.example.org"};
  token.created = 1700000000;
  std::string error;
  auto dir = api::openFileDirectory(dataDir, error);
  INFO(error);
  REQUIRE(dir);
  REQUIRE(dir->putUser({"carol", hash}, true, false, error));
  REQUIRE(dir->putHost({"nas.example.org", "carol"}, error));
  REQUIRE(dir->addToken(token, error));
  return token;
}

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

Run migrate(const TempDir& work, std::vector<std::string> args) {
  args.insert(args.begin(), {CHIPMUNK_API_BIN, "migrate"});
  Run run;
  run.status = test::runCommand(args, work.file("out"), work.file("err"));
  run.out = readFile(work.file("out"));
  run.err = readFile(work.file("err"));
  return run;
}

// A store that loses the metadata it is given: what verification must catch.
class LossyStore final : public api::Store {
 public:
  explicit LossyStore(std::shared_ptr<api::Store> inner) : inner_(std::move(inner)) {}
  // Store
  api::UpdateResult update(const std::string& n, const api::RecordUpdate& u, int64_t now) override {
    return inner_->update(n, u, now);
  }
  std::optional<HostRecord> get(const std::string& name) override { return inner_->get(name); }
  std::vector<HostRecord> list() override { return inner_->list(); }
  bool put(const HostRecord& record) override {
    HostRecord lossy = record;
    lossy.metadata.clear();
    return inner_->put(lossy);
  }
  std::vector<HostRecord> expireDue(int64_t now) override { return inner_->expireDue(now); }
  void flush() override { inner_->flush(); }

 private:
  std::shared_ptr<api::Store> inner_;
};

TEST_CASE("Migrate: file store to file store copies every field and a re-run changes nothing",
          "[api][migrate]") {
  TempDir work;
  TempDir from;
  TempDir to;
  const auto records = everyKindOfRecord();
  fill(from.path(), records);
  Run first = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  INFO(first.out << first.err);
  REQUIRE(first.status == 0);
  CHECK(first.out.find("4 records, 4 copied, 0 already equal, 0 failed; verified 4/4") !=
        std::string::npos);
  {
    FileStore target(to.path());
    for (const auto& r : records) {
      const auto there = target.get(r.name);
      REQUIRE(there);
      CHECK(api::firstDifference(r, *there) == "");
    }
  }
  Run again = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  INFO(again.out << again.err);
  CHECK(again.status == 0);
  CHECK(again.out.find("4 records, 0 copied, 4 already equal, 0 failed; verified 4/4") !=
        std::string::npos);
}

TEST_CASE("Migrate: a record that expired in the source since the last run expires in the target",
          "[api][migrate]") {
  TempDir work;
  TempDir from;
  TempDir to;
  auto records = everyKindOfRecord();
  fill(from.path(), records);
  REQUIRE(migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()}).status ==
          0);
  HostRecord expired = records[0];  // alice: its address withdrawn since
  expired.ip.reset();
  expired.expired = true;
  expired.expiredAt = 1700000300;
  {
    FileStore source(from.path());
    REQUIRE(source.put(expired));
  }
  Run again = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  INFO(again.out << again.err);
  CHECK(again.status == 0);
  CHECK(again.out.find("4 records, 1 copied, 3 already equal") != std::string::npos);
  CHECK_FALSE(test::fileExists(to.file("alice.cm")));
}

TEST_CASE("Migrate: verify-only finds a tampered target record and names the field",
          "[api][migrate]") {
  TempDir work;
  TempDir from;
  TempDir to;
  fill(from.path(), everyKindOfRecord());
  REQUIRE(migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()}).status ==
          0);
  Run clean = migrate(
      work, {"--from", "file:" + from.path(), "--to", "file:" + to.path(), "--verify-only"});
  CHECK(clean.status == 0);
  {
    FileStore target(to.path());
    HostRecord tampered = *target.get("carol");
    tampered.metadata["lan_ip"] = "192.168.1.11";
    REQUIRE(target.put(tampered));
    HostRecord extra = tampered;
    extra.name = "mallory";
    REQUIRE(target.put(extra));
  }
  Run caught = migrate(
      work, {"--from", "file:" + from.path(), "--to", "file:" + to.path(), "--verify-only"});
  INFO(caught.out << caught.err);
  CHECK(caught.status == 1);
  CHECK(caught.err.find("carol: metadata differs in the target") != std::string::npos);
  CHECK(caught.out.find("verified 3/4, 1 different or missing; 1 only in the target; directory") !=
        std::string::npos);
  CHECK(caught.out.find(": FAILED\n") != std::string::npos);
}

TEST_CASE("Migrate: a target that drops a field fails verification", "[api][migrate]") {
  TempDir from;
  TempDir to;
  fill(from.path(), everyKindOfRecord());
  FileStore source(from.path());
  MigrateReport report;
  {
    LossyStore lossy(std::make_shared<FileStore>(to.path()));
    api::copyRecords(source, lossy, report, 3);  // pages of 3: the paging is exercised too
  }
  CHECK(report.records.source == 4);
  CHECK(report.records.copied == 4);
  FileStore target(to.path());
  api::verifyRecords(source, target, report, 3);
  CHECK(report.records.verified == 2);  // alice and bob carry no metadata
  CHECK(report.records.mismatched == 2);
  CHECK_FALSE(report.ok());
  REQUIRE(report.problems.size() == 2);
  CHECK(report.problems[0] == "carol: metadata differs in the target");
}

TEST_CASE("Migrate: a file store in use by a running server is refused", "[api][migrate]") {
  TempDir work;
  TempDir from;
  TempDir to;
  fill(from.path(), everyKindOfRecord());
  FileStore running(from.path());  // holds the directory's lock, as chipmunk-api does
  Run refused = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  INFO(refused.out << refused.err);
  CHECK(refused.status == 1);
  CHECK(refused.err.find("another chipmunk-api process uses data directory") != std::string::npos);
  CHECK(refused.err.find("stop that chipmunk-api first") != std::string::npos);
  CHECK_FALSE(test::fileExists(to.file("alice.json")));
}

TEST_CASE("Migrate: bad arguments and the same store on both sides exit 2", "[api][migrate]") {
  TempDir work;
  TempDir dir;
  CHECK(migrate(work, {"--from", "file:" + dir.path()}).status == 2);
  CHECK(
      migrate(work, {"--from", "file:" + dir.path(), "--to", "file:" + dir.path() + "/."}).status ==
      2);
  CHECK(migrate(work, {"--from", "file:" + dir.path(), "--to", "file:" + dir.file("missing")})
            .status == 2);
  CHECK(migrate(work, {"--to", "file:" + dir.path(), "--frm", "x"}).status == 2);
}

TEST_CASE("Migrate: the directory's users, hosts and tokens are copied and verified",
          "[api][migrate]") {
  TempDir work;
  TempDir from;
  TempDir to;
  fill(from.path(), everyKindOfRecord());
  std::string error;
  const std::string hash = hashPassword("carols-password", kMinPbkdf2Iterations);
  const api::DirectoryToken token = fillDirectory(from.path(), hash);
  Run first = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  INFO(first.out << first.err);
  REQUIRE(first.status == 0);
  CHECK(first.out.find("directory: 3 users, hosts and tokens, 3 copied, 0 already equal") !=
        std::string::npos);
  api::DirectoryData copied;
  {
    auto dir = api::openFileDirectory(to.path(), error);
    REQUIRE(dir);
    REQUIRE(dir->load(copied, error));
  }
  REQUIRE(copied.users.size() == 1);
  CHECK(copied.users[0].hash == hash);
  REQUIRE(copied.tokens.size() == 1);
  CHECK(copied.tokens[0].digest == token.digest);
  CHECK(copied.tokens[0].hosts == token.hosts);
  Run again = migrate(work, {"--from", "file:" + from.path(), "--to", "file:" + to.path()});
  CHECK(again.out.find("directory: 3 users, hosts and tokens, 0 copied, 3 already equal") !=
        std::string::npos);
  {
    // The target's token now lets through another secret: verification must notice.
    auto dir = api::openFileDirectory(to.path(), error);
    REQUIRE(dir->revokeToken(token.id, error));
    api::DirectoryToken forged = token;
    forged.digest = api::tokenDigestHex("ffffffffffffffffffffffffffffffffffffffff");
    REQUIRE(dir->addToken(forged, error));
  }
  Run caught = migrate(
      work, {"--from", "file:" + from.path(), "--to", "file:" + to.path(), "--verify-only"});
  INFO(caught.out << caught.err);
  CHECK(caught.status == 1);
  CHECK(caught.err.find("token 3f9c1a0b2d4e: differs in the target") != std::string::npos);
  CHECK(caught.err.find(token.digest) == std::string::npos);  // no secret's digest printed
}

// Against a real PostgreSQL (tests/support/postgres_server.hpp): a database "chipmunk"
// named as migrate's STORE, and a file store of every kind of record.
struct PgAndFiles {
  PostgresServer pg;
  std::string db;
  TempDir work;
  TempDir from;
  const std::vector<HostRecord> records = everyKindOfRecord();

  PgAndFiles() {
    const bool started = pg.start();
    INFO(pg.log());
    REQUIRE(started);
    REQUIRE(pg.createDatabase("chipmunk"));
    db = "postgresql:" + pg.conninfo("chipmunk");
    fill(from.path(), records);
  }
};

TEST_CASE("Migrate: file store to PostgreSQL and back keeps every field, verified",
          "[api][migrate][postgres][integration]") {
  PgAndFiles f;
  auto& [pg, db, work, from, records] = f;
  TempDir back;
  fillDirectory(from.path(), hashPassword("carols-password", kMinPbkdf2Iterations));
  Run in = migrate(work, {"--from", "file:" + from.path(), "--to", db});
  INFO(in.out << in.err);
  REQUIRE(in.status == 0);
  CHECK(in.out.find("4 records, 4 copied, 0 already equal, 0 failed; verified 4/4") !=
        std::string::npos);
  CHECK(in.out.find("directory: 3 users, hosts and tokens, 3 copied") != std::string::npos);
  CHECK(pg.psql("SELECT count(*) FROM chipmunk_records", "chipmunk") == "4");
  CHECK(pg.psql("SELECT owner FROM chipmunk_tokens", "chipmunk") == "carol");
  CHECK(in.out.find(pg.socketDir()) == std::string::npos);  // the conninfo is never printed
  Run again = migrate(work, {"--from", "file:" + from.path(), "--to", db});
  CHECK(again.status == 0);
  CHECK(again.out.find("4 records, 0 copied, 4 already equal") != std::string::npos);
  Run out = migrate(work, {"--from", db, "--to", "file:" + back.path()});
  INFO(out.out << out.err);
  REQUIRE(out.status == 0);
  CHECK(out.out.find("directory: 3 users, hosts and tokens, 3 copied") != std::string::npos);
  FileStore target(back.path());
  for (const auto& r : records) {
    const auto there = target.get(r.name);
    REQUIRE(there);
    CHECK(api::firstDifference(r, *there) == "");
  }
}

TEST_CASE("Migrate: verify-only finds a record changed in PostgreSQL",
          "[api][migrate][postgres][integration]") {
  PgAndFiles f;
  auto& [pg, db, work, from, records] = f;
  REQUIRE(migrate(work, {"--from", "file:" + from.path(), "--to", db}).status == 0);
  pg.psql("UPDATE chipmunk_records SET last_seen = last_seen + 1 WHERE name = 'bob.example.org'",
          "chipmunk");
  Run caught = migrate(work, {"--from", "file:" + from.path(), "--to", db, "--verify-only"});
  INFO(caught.out << caught.err);
  CHECK(caught.status == 1);
  CHECK(caught.err.find("bob.example.org: last_seen differs in the target") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
