// SPDX-License-Identifier: MIT
// A fake dyndns2 server; see fake_dyndns2.hpp and
// https://help.dyn.com/remote-access-api/perform-update/
#include "tests/support/fake_dyndns2.hpp"

#include "common/base64.hpp"
#include "common/ip.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {

FakeDyndns2::FakeDyndns2(std::string username, std::string password, std::string path)
    : username_(std::move(username)),
      password_(std::move(password)),
      path_(path.substr(0, path.find('?'))),
      requiredQuery_(path.find('?') == std::string::npos ? "" : path.substr(path.find('?') + 1)),
      server_(
          std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); })) {}

FakeDyndns2::~FakeDyndns2() {
  server_->stop();
}

std::string FakeDyndns2::url() const {
  return server_->url();
}

void FakeDyndns2::addHost(const std::string& fqdn) {
  std::lock_guard<std::mutex> lock(mutex_);
  hosts_[fqdn] = {};
}

std::string FakeDyndns2::ipv4(const std::string& fqdn) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = hosts_.find(fqdn);
  return it == hosts_.end() ? "" : it->second.ipv4;
}

std::string FakeDyndns2::ipv6(const std::string& fqdn) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = hosts_.find(fqdn);
  return it == hosts_.end() ? "" : it->second.ipv6;
}

void FakeDyndns2::setTrouble(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  trouble_ = on;
}

void FakeDyndns2::failNext(int status, std::string body, std::string retryAfter) {
  FakeResponse r;
  r.status = status;
  r.contentType = "text/plain";
  r.body = std::move(body);
  if (!retryAfter.empty()) {
    r.headers.emplace_back("Retry-After", retryAfter);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  failures_.push_back(std::move(r));
}

std::vector<FakeRequest> FakeDyndns2::requests() const {
  return server_->requests();
}

FakeResponse FakeDyndns2::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  FakeResponse r;
  r.contentType = "text/plain";
  if (!failures_.empty()) {
    r = failures_.front();
    failures_.erase(failures_.begin());
    return r;
  }
  const auto reply = [&r](const std::string& body) {
    r.body = body;
    return r;
  };
  if (req.path != path_ || req.header("user-agent").empty() ||
      (!requiredQuery_.empty() && req.query.find(requiredQuery_) == std::string::npos)) {
    return reply("badagent");
  }
  if (req.header("authorization") != "Basic " + base64Encode(username_ + ":" + password_)) {
    return reply("badauth");
  }
  if (trouble_) {
    return reply("911");
  }
  const std::string host = urlDecode(req.param("hostname"));
  if (host.find('.') == std::string::npos) {
    return reply("notfqdn");
  }
  const auto it = hosts_.find(host);
  if (it == hosts_.end()) {
    return reply("nohost");
  }
  std::string v4;
  std::string v6;
  std::string myip = urlDecode(req.param("myip"));
  const auto comma = myip.find(',');
  std::vector<std::string> given = {myip.substr(0, comma)};
  if (comma != std::string::npos) {
    given.push_back(myip.substr(comma + 1));
  }
  given.push_back(urlDecode(req.param("myipv6")));
  for (const auto& text : given) {
    const auto ip = IpAddress::parse(text);
    if (ip) {
      (ip->isV4() ? v4 : v6) = ip->toString();
    } else if (!text.empty()) {
      return reply("dnserr");
    }
  }
  Entry& e = it->second;
  const bool changed = (!v4.empty() && v4 != e.ipv4) || (!v6.empty() && v6 != e.ipv6);
  if (!v4.empty()) {
    e.ipv4 = v4;
  }
  if (!v6.empty()) {
    e.ipv6 = v6;
  }
  const std::string shown = v4.empty() ? v6 : v6.empty() ? v4 : v4 + "," + v6;
  return reply((changed ? "good " : "nochg ") + shown);
}

namespace {

// `chipmunk-fake dyndns2` (tests/support/runnable_fake.hpp).
const RunnableFake kDyndns2Runnable{
    "dyndns2", [] {
      auto f = std::make_shared<FakeDyndns2>("alice", "secret");
      f->addHost("home.example.com");
      return RunningFake{f, "[dyndns2]\nserver = " + f->url() +
                                "\nusername = alice\npassword = secret\n" + fakeRecord("dyndns2")};
    }};

}  // namespace

}  // namespace chipmunk::test
