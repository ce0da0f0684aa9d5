// SPDX-License-Identifier: MIT
// chipmunk-fake: runs one provider's fake API (tests/support/fake_*.hpp) on 127.0.0.1 until
// Ctrl-C, seeded with example.com records, and prints the provider section that points
// chipmunk-updater at it, for manual trials with --once. Not installed; built with the tests.
// Each fake registers itself in its own file (tests/support/runnable_fake.hpp).
//   build/tests/chipmunk-fake porkbun
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "tests/support/runnable_fake.hpp"

using namespace chipmunk::test;

namespace {

volatile sig_atomic_t stop = 0;

void onSignal(int) {
  stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc == 2 ? argv[1] : "";
  const auto& fakes = runnableFakes();
  const auto it = fakes.find(name);
  if (it == fakes.end()) {
    std::cerr << "usage: chipmunk-fake PROVIDER\nproviders:";
    for (const auto& [n, start] : fakes) {
      std::cerr << " " << n;
    }
    std::cerr << "\n(a dyndns2 preset: run dyndns2 and use its server in the preset's section)\n";
    return 2;
  }
  ::signal(SIGINT, onSignal);
  ::signal(SIGTERM, onSignal);
  const RunningFake running = it->second();
  // Documentation addresses stand in for discovery (allow_private: they are not public).
  std::cout << "; " << name << " fake running; Ctrl-C stops it. A config that uses it:\n"
            << "[Global]\nallow_private = yes\nstate_dir = /tmp/chipmunk-fake-state\n"
            << "[source:v4]\ntype = command\ncommand = echo 198.51.100.7\nfamily = ipv4\n"
            << "[source:v6]\ntype = command\ncommand = echo 2001:db8::7\nfamily = ipv6\n"
            << running.section << std::flush;
  while (stop == 0) {
    ::pause();
  }
  return 0;
}
