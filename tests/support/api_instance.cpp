// SPDX-License-Identifier: MIT
#include "tests/support/api_instance.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <regex>

namespace chipmunk::test {

ApiInstance::ApiInstance(const std::string& sections, bool fullConfig) {
  ::mkdir(dataDir().c_str(), 0755);
  rewriteConfig(sections, fullConfig);
}

ApiInstance::~ApiInstance() {
  if (process_ && process_->running()) {
    stop(15);
  }
}

void ApiInstance::rewriteConfig(const std::string& sections, bool fullConfig) {
  if (fullConfig) {
    writeFile(configPath(), sections);
    return;
  }
  writeFile(
      configPath(),
      "[Paths]\nclient_update_dir = data\n\n[Log]\nfile = api.log\nlevel = info\n\n" + sections);
}

std::string ApiInstance::log() const {
  return readFile(logPath()) + readFile(stderrPath());
}

bool ApiInstance::waitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
  return waitUntil([&] { return log().find(text) != std::string::npos; }, timeout);
}

bool ApiInstance::start(const std::string& listen) {
  // Count "listening" lines already in the log so a restart waits for a new one.
  const auto countListening = [&] {
    const std::string text = log();
    size_t n = 0;
    for (size_t pos = 0; (pos = text.find("listening address=", pos)) != std::string::npos; ++pos) {
      ++n;
    }
    return n;
  };
  const size_t before = countListening();
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{CHIPMUNK_API_BIN, "--config", configPath(), "--listen", listen},
      dir_.file("stdout.txt"), stderrPath());
  const bool up = waitUntil([&] { return countListening() > before || !process_->running(); },
                            std::chrono::seconds(10));
  if (!up || !process_->running()) {
    // Said here so that a failed start in CI leaves its reason in the test's output.
    std::fprintf(stderr, "chipmunk-api %s; its log:\n%s\n",
                 process_->running() ? "did not log its address within 10 s" : "exited at start",
                 log().c_str());
    return false;
  }
  const std::string text = log();
  static const std::regex kListening("listening address=\\S*:(\\d+)");
  std::smatch m;
  std::string::const_iterator searchStart = text.cbegin();
  while (std::regex_search(searchStart, text.cend(), m, kListening)) {
    port_ = std::stoi(m[1]);
    searchStart = m.suffix().first;
  }
  return port_ > 0;
}

void ApiInstance::stop(int sig) {
  if (process_) {
    process_->signal(sig);
    process_->wait(std::chrono::seconds(10));
  }
}

}  // namespace chipmunk::test
