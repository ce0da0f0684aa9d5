// SPDX-License-Identifier: MIT
// Authoritative reads (providers/dns_read.cpp) against a real BIND on loopback: only an
// authoritative answer counts, NXDOMAIN is a missing record, and a server that does not
// answer is a failed read within the timeout.
#include <catch2/catch.hpp>

#include "providers/dns_read.hpp"
#include "tests/support/bind_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::providers;
using Status = CurrentRecord::Status;

TEST_CASE("DnsRead: asks the authoritative server, RD off, AA required", "[providers][unit]") {
  test::BindServer bind("example.test", "hmac-sha256",
                        "home IN A 192.0.2.1\nmulti IN A 192.0.2.2\nmulti IN A 192.0.2.3\n"
                        "v6 IN AAAA 2001:DB8::1");
  const bool started = bind.start();
  INFO(bind.log());
  REQUIRE(started);
  const std::string server = "127.0.0.1:" + std::to_string(bind.port());
  const auto ask = [&](const std::string& host, const std::string& domain, RecordType type) {
    return dns::askAuthoritative(server, Record{"r", host, domain, type}, std::chrono::seconds(2));
  };
  auto r = ask("home", "example.test", RecordType::A);
  CHECK(r.status == Status::kFound);
  CHECK(r.addresses == std::vector<std::string>{"192.0.2.1"});
  CHECK(bind.authoritativeQueries("home.example.test", "A") == 1);
  r = ask("multi", "example.test", RecordType::A);
  CHECK(r.addresses.size() == 2);
  r = ask("v6", "example.test", RecordType::AAAA);
  CHECK(r.addresses == std::vector<std::string>{"2001:db8::1"});
  CHECK(ask("home", "example.test", RecordType::AAAA).status == Status::kMissing);
  CHECK(ask("absent", "example.test", RecordType::A).status == Status::kMissing);
  // Not its zone: REFUSED without AA is no answer at all.
  r = ask("home", "example.org", RecordType::A);
  CHECK(r.status == Status::kFailed);
  // Several servers: the first that answers counts.
  r = dns::readAuthoritative({"127.0.0.1:1", server},
                             Record{"r", "home", "example.test", RecordType::A},
                             std::chrono::seconds(1));
  CHECK(r.status == Status::kFound);
}

TEST_CASE("DnsRead: a silent or unresolvable server is a failed read", "[providers][unit]") {
  const Record record{"r", "home", "example.test", RecordType::A};
  auto r = dns::askAuthoritative("127.0.0.1:1", record, std::chrono::seconds(1));
  CHECK(r.status == Status::kFailed);
  r = dns::askAuthoritative("[::1]:1", record, std::chrono::seconds(1));
  CHECK(r.status == Status::kFailed);
  r = dns::askAuthoritative("127.0.0.1:notaport", record, std::chrono::seconds(1));
  CHECK(r.status == Status::kFailed);
  CHECK(r.detail.find("cannot resolve") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
