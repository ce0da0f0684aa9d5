// SPDX-License-Identifier: MIT
// Secrets never reach logs or error bodies. A representative session runs against the real
// chipmunk-api (right and wrong passwords, a hashed user, /set, /nic/update badauth,
// malformed headers, broken configs holding secrets) and the real chipmunk-updater (a
// Linode token the fake rejects, a failing dyndns2 server), all at log level debug; then
// every log, stdout, stderr and response body is searched for the marker secrets.
#include <catch2/catch.hpp>
#include <vector>

#include "common/base64.hpp"
#include "tests/support/api_instance.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

// Distinctive, so that a hit can only be a leak.
const std::string kPlainSecret = "PlainPw-Marker-7Qx9";
const std::string kHashedSecret = "HashedPw-Marker-3Zk4";
const std::string kWrongSecret = "WrongPw-Marker-5Tj2";
const std::string kConfigSecret = "ConfigPw-Marker-8Hn6";
const std::string kLinodeToken = "LinodeTok-Marker-9Xw1";
const std::string kDyndnsSecret = "DynPw-Marker-4Rb8";

const std::vector<std::string> kAllSecrets = {kPlainSecret,  kHashedSecret, kWrongSecret,
                                              kConfigSecret, kLinodeToken,  kDyndnsSecret};

// Everything a test may read: bodies, logs, outputs. Names the secret found, if any.
std::string leakedSecret(const std::string& text) {
  for (const auto& s : kAllSecrets) {
    // The secret itself and its base64 form (as in an Authorization header).
    if (text.find(s) != std::string::npos) {
      return s;
    }
  }
  return {};
}

std::string everything(const HttpResponse& r) {
  std::string out = r.statusLine + "\n";
  for (const auto& [k, v] : r.headers) {
    out += k + ": " + v + "\n";
  }
  return out + r.body;
}

// A hash of kHashedSecret, made by the real command (few iterations: a test).
std::string hashedSecret() {
  TempDir tmp;
  REQUIRE(runCommand({CHIPMUNK_API_BIN, "hash-password", "--iterations", "10000"},
                     tmp.file("hash.txt"), tmp.file("hash.err"), kHashedSecret + "\n") == 0);
  std::string hash = readFile(tmp.file("hash.txt"));
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) {
    hash.pop_back();
  }
  REQUIRE(hash.rfind("$pbkdf2-sha256$", 0) == 0);
  return hash;
}

// Debug level: the most a log will ever say.
void setDebugLevel(ApiInstance& api) {
  std::string cfg = readFile(api.configPath());
  const auto at = cfg.find("level = info");
  REQUIRE(at != std::string::npos);
  cfg.replace(at, 12, "level = debug");
  writeFile(api.configPath(), cfg);
}

// Broken configurations that hold a secret: reported as file:line, never with it. Returns
// what chipmunk-api --check-config printed.
std::string brokenConfigReport() {
  TempDir bad1;
  writeFile(bad1.file("a.ini"),
            "[Paths]\nclient_update_dir = .\n[Users]\n../evil = " + kConfigSecret +
                "\nok = " + kConfigSecret + std::string(250, 'x') + "\n");
  const int rc = runCommand({CHIPMUNK_API_BIN, "--config", bad1.file("a.ini"), "--check-config"},
                            bad1.file("out.txt"), bad1.file("err.txt"));
  CHECK(rc == 2);
  const std::string report = readFile(bad1.file("out.txt")) + readFile(bad1.file("err.txt"));
  CHECK(report.find("a.ini:4") != std::string::npos);
  return report;
}

TEST_CASE("Hardening: chipmunk-api never logs or returns passwords", "[hardening][secrets]") {
  const std::string hash = hashedSecret();
  ApiInstance api("[Users]\nalice = " + kPlainSecret + "\nbob = " + hash +
                      "\n\n[Hosts]\nhome.example.com = alice\n\n"
                      "[Limits]\nmax_failed_logins = 1000\n",
                  false);
  setDebugLevel(api);
  REQUIRE(api.start());
  const int port = api.port();
  std::string seen;
  auto req = [&](const std::string& method, const std::string& path, const std::string& extra,
                 const std::string& body = {}) {
    const auto r = httpRequest(port, method, path, extra, body);
    seen += everything(r) + "\n";
    return r;
  };
  const std::string ua = "User-Agent: secrets-test/1\r\n";

  CHECK(req("GET", "/get/ip", basicAuth("alice", kPlainSecret)).status == 200);
  CHECK(req("GET", "/get/ip", basicAuth("alice", kWrongSecret)).status == 401);
  CHECK(req("GET", "/get/ip", basicAuth(kWrongSecret, kWrongSecret)).status == 401);
  CHECK(req("GET", "/get/ip.json", basicAuth("bob", kHashedSecret)).status == 200);
  CHECK(req("GET", "/get/ip.json", basicAuth("bob", kWrongSecret)).status == 401);
  CHECK(req("GET", "/set", basicAuth("alice", kPlainSecret)).status == 200);
  CHECK(
      req("POST", "/set",
          basicAuth("alice", kPlainSecret) + "Content-Type: application/x-www-form-urlencoded\r\n",
          "note=hello")
          .status == 200);
  CHECK(req("GET", "/set?note=" + kWrongSecret, basicAuth("alice", kWrongSecret)).status == 401);
  CHECK(req("GET", "/nic/update?hostname=home.example.com&myip=192.0.2.5",
            ua + basicAuth("alice", kPlainSecret))
            .body.rfind("good", 0) == 0);
  const auto bad = req("GET", "/nic/update?hostname=home.example.com&myip=192.0.2.6",
                       ua + basicAuth("alice", kWrongSecret));
  CHECK(bad.body == "badauth\n");
  // Malformed headers that carry a secret in the clear.
  req("GET", "/get/ip", "Authorization: Basic " + kWrongSecret + "\r\n");
  req("GET", "/get/ip", "Authorization: " + kWrongSecret + "\r\n");
  req("GET", "/get/ip", "Authorization: Bearer " + kWrongSecret + "\r\n");
  // A query field holding a secret on a failed login is not echoed either.
  req("GET", "/set?ttl=" + kWrongSecret, basicAuth("alice", kWrongSecret));
  api.stop();

  const std::string report = brokenConfigReport();
  INFO(report);

  const std::string logs = api.log() + readFile(api.dir().file("stdout.txt"));
  INFO(logs);
  CHECK(leakedSecret(seen).empty());
  CHECK(leakedSecret(logs).empty());
  CHECK(leakedSecret(report).empty());
  CHECK(logs.find(chipmunk::base64Encode("alice:" + kPlainSecret)) == std::string::npos);
  // The session did happen, and was logged; a failed login under a name that is no user
  // (perhaps a password typed into the user field) is logged without the name.
  CHECK(logs.find("status=401") != std::string::npos);
  CHECK(logs.find("user=(unknown)") != std::string::npos);
}

TEST_CASE("Hardening: chipmunk-updater never logs tokens or passwords", "[hardening][secrets]") {
  FakeLinode linode("the-right-token");  // ours is wrong: 401
  const long long domain = linode.addDomain("example.com");
  linode.addRecord(domain, "home", "A", "192.0.2.1");
  // A dyndns2 server that is not there (connection refused) and one that says badauth.
  ApiInstance dyn("[Users]\nalice = something-else\n\n[Hosts]\nhome.example.org = alice\n");
  REQUIRE(dyn.start());

  TempDir dir;
  writeFile(dir.file("ip.txt"), "203.0.113.10\n");
  writeFile(dir.file("updater.ini"),
            "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\nlog_level = debug\n"
            "[source:file]\ntype = command\ncommand = cat " +
                dir.file("ip.txt") + "\n[linode]\napi_key = " + kLinodeToken +
                "\nendpoint = " + linode.endpoint() +
                "\n[dyndns2:mine]\nserver = http://127.0.0.1:" + std::to_string(dyn.port()) +
                "\nusername = alice\npassword = " + kDyndnsSecret +
                "\n[dyndns2:gone]\nserver = http://127.0.0.1:1\nusername = alice\npassword = " +
                kDyndnsSecret +
                "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n"
                "[record:org]\nprovider = dyndns2:mine\nhost = home\ndomain = example.org\n"
                "[record:gone]\nprovider = dyndns2:gone\nhost = x\ndomain = example.org\n");
  const int rc =
      runCommand({CHIPMUNK_UPDATER_BIN, "--config", dir.file("updater.ini"), "--once"},
                 dir.file("stdout.txt"), dir.file("stderr.txt"), {}, std::chrono::seconds(30));
  CHECK(rc != 0);  // every provider failed
  const std::string out = readFile(dir.file("stdout.txt")) + readFile(dir.file("stderr.txt"));
  INFO(out);
  CHECK(linode.count("GET") >= 1);  // the token was used
  CHECK(leakedSecret(out).empty());
  CHECK(leakedSecret(dyn.log()).empty());
  // It did report the failures.
  CHECK(out.find("home") != std::string::npos);
  CHECK(out.find("org") != std::string::npos);

  // A config check that fails holds the token too.
  writeFile(dir.file("bad.ini"), "[linode]\napi_key = " + kLinodeToken + "\nbogus = " +
                                     kLinodeToken + "\n[record:r]\nprovider = linode\n");
  runCommand({CHIPMUNK_UPDATER_BIN, "--config", dir.file("bad.ini"), "--check-config"},
             dir.file("o2.txt"), dir.file("e2.txt"));
  const std::string report = readFile(dir.file("o2.txt")) + readFile(dir.file("e2.txt"));
  INFO(report);
  CHECK(report.find("bad.ini:") != std::string::npos);
  CHECK(leakedSecret(report).empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
