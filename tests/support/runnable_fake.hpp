// SPDX-License-Identifier: MIT
// The runnable fakes of chipmunk-fake (tests/fakes/chipmunk_fake.cpp): each fake registers,
// in its own tests/support/fake_<name>.cpp, how to start it seeded with the home records of
// example.com and the provider section that points chipmunk-updater at it:
//
//   const RunnableFake kRunnable{"porkbun", [] { auto f = ...; return RunningFake{f, ...}; }};
//
// The fakes are an OBJECT library (tests/CMakeLists.txt), so these registrars are linked into
// every program that uses the fakes, although nothing refers to them by name.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace chipmunk::test {

// A running fake (kept alive by the holder) and the INI section that uses it.
struct RunningFake {
  std::shared_ptr<void> fake;
  std::string section;
};

using StartFake = std::function<RunningFake()>;

// Registers `start` under the provider's name at static initialisation.
struct RunnableFake {
  RunnableFake(const std::string& provider, StartFake start);
};

// Every registered fake, by provider name.
const std::map<std::string, StartFake>& runnableFakes();

// "[record:home]" served by `provider`: home.example.com, both address types.
std::string fakeRecord(const std::string& provider);

// The section for `provider`: its credential lines (each ending in "\n"), the fake's
// endpoint, and the home record.
std::string fakeSection(const std::string& provider, const std::string& credentials,
                        const std::string& endpoint);

// Seeds the home record's two addresses: add(type, address) for A, then AAAA.
template <typename Add>
void seedHome(Add add) {
  add("A", "192.0.2.1");
  add("AAAA", "2001:db8::1");
}

}  // namespace chipmunk::test
