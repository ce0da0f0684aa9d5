// SPDX-License-Identifier: MIT
// A fake DuckDNS; see fake_duckdns.hpp and https://www.duckdns.org/spec.jsp
#include "tests/support/fake_duckdns.hpp"

#include "common/ip.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {

FakeDuckDns::FakeDuckDns(std::string token) : token_(std::move(token)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeDuckDns::~FakeDuckDns() {
  server_->stop();
}

std::string FakeDuckDns::endpoint() const {
  return server_->url() + "/update";
}

void FakeDuckDns::addDomain(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_[name] = {};
}

std::string FakeDuckDns::ipv4(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = domains_.find(name);
  return it == domains_.end() ? "" : it->second.ipv4;
}

std::string FakeDuckDns::ipv6(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = domains_.find(name);
  return it == domains_.end() ? "" : it->second.ipv6;
}

std::vector<FakeRequest> FakeDuckDns::requests() const {
  return server_->requests();
}

FakeResponse FakeDuckDns::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  FakeResponse ko;
  ko.contentType = "text/plain";
  ko.body = "KO";
  if (req.path != "/update" || urlDecode(req.param("token")) != token_) {
    return ko;
  }
  std::vector<std::string> names;
  const std::string list = urlDecode(req.param("domains"));
  size_t pos = 0;
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    if (comma == std::string::npos) {
      comma = list.size();
    }
    std::string n = list.substr(pos, comma - pos);
    const std::string suffix = ".duckdns.org";
    if (n.size() > suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      n.resize(n.size() - suffix.size());
    }
    if (domains_.count(n) == 0) {
      return ko;
    }
    names.push_back(n);
    pos = comma + 1;
  }
  std::string v4 = urlDecode(req.param("ip"));
  const std::string v6 = urlDecode(req.param("ipv6"));
  if (v4.empty()) {
    v4 = "127.0.0.1";  // the request's source address
  }
  if (!IpAddress::parse(v4) || !IpAddress::parse(v4)->isV4() ||
      (!v6.empty() && (!IpAddress::parse(v6) || !IpAddress::parse(v6)->isV6()))) {
    return ko;
  }
  bool changed = false;
  for (const auto& n : names) {
    Entry& e = domains_[n];
    changed = changed || e.ipv4 != v4 || (!v6.empty() && e.ipv6 != v6);
    e.ipv4 = v4;
    if (!v6.empty()) {
      e.ipv6 = v6;
    }
  }
  FakeResponse ok;
  ok.contentType = "text/plain";
  ok.body = "OK";
  if (req.param("verbose") == "true") {
    ok.body += "\n" + v4 + "\n" + v6 + "\n" + (changed ? "UPDATED" : "NOCHANGE");
  }
  return ok;
}

namespace {

// `chipmunk-fake duckdns` (tests/support/runnable_fake.hpp).
const RunnableFake kDuckdnsRunnable{
    "duckdns", [] {
      auto f = std::make_shared<FakeDuckDns>();
      f->addDomain("myhome");
      return RunningFake{f, "[duckdns]\ntoken = duck-token\nendpoint = " + f->endpoint() +
                                "\n[record:home]\nprovider = duckdns\nhost = myhome\n"
                                "domain = duckdns.org\ntype = both\n"};
    }};

}  // namespace

}  // namespace chipmunk::test
