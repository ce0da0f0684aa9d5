// SPDX-License-Identifier: MIT
// `chipmunk-fake linode` (tests/support/runnable_fake.hpp), beside fake_linode.cpp because
// that file is at the 450-line limit.
#include <memory>

#include "tests/support/fake_linode.hpp"
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

const RunnableFake kLinodeRunnable{
    "linode", [] {
      auto f = std::make_shared<FakeLinode>("linode-token");
      const long long domain = f->addDomain("example.com");
      seedHome([&](const char* type, const char* ip) { f->addRecord(domain, "home", type, ip); });
      return RunningFake{f, fakeSection("linode", "api_key = linode-token\n", f->endpoint())};
    }};

}  // namespace
}  // namespace chipmunk::test
