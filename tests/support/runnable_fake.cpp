// SPDX-License-Identifier: MIT
#include "tests/support/runnable_fake.hpp"

#include <stdexcept>

namespace chipmunk::test {

namespace {

std::map<std::string, StartFake>& registry() {
  static std::map<std::string, StartFake> fakes;
  return fakes;
}

}  // namespace

RunnableFake::RunnableFake(const std::string& provider, StartFake start) {
  if (!registry().emplace(provider, std::move(start)).second) {
    throw std::logic_error("two runnable fakes for " + provider);
  }
}

const std::map<std::string, StartFake>& runnableFakes() {
  return registry();
}

std::string fakeRecord(const std::string& provider) {
  return "[record:home]\nprovider = " + provider +
         "\nhost = home\ndomain = example.com\ntype = both\n";
}

std::string fakeSection(const std::string& provider, const std::string& credentials,
                        const std::string& endpoint) {
  return "[" + provider + "]\n" + credentials + "endpoint = " + endpoint + "\n" +
         fakeRecord(provider);
}

}  // namespace chipmunk::test
