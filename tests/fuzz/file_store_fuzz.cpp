// SPDX-License-Identifier: MIT
// The file store's readers (api/file_store.cpp): a <name>.cm and a <name>.json side file as
// another program or a crash may have left them, and a journal left by a crash (one entry
// with the input's third part, then its fourth part raw, as a torn tail), then an update and
// an expiry over them.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "api/file_store.hpp"
#include "common/utf8.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

void writeFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 ||
      ::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    std::abort();
  }
  ::close(fd);
}

// Every file a run left (a replayed journal writes records of any name).
void emptyDirectory(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") {
        ::unlink((dir + "/" + name).c_str());
      }
    }
    ::closedir(d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chipmunk;
  fuzz::quietLogging();
  // tmpfs when there is one: every run rewrites and fsyncs the files.
  static const std::string dir = [] {
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/chipmunk-fuzz-store.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::abort();
    }
    return tmpl;
  }();
  const auto files = fuzz::splitResponses(data, size);  // [0]: alice.cm, [1]: alice.json
  emptyDirectory(dir);
  writeFile(dir + "/alice.cm", files[0]);
  if (files.size() > 1) {
    writeFile(dir + "/alice.json", files[1]);
    fuzz::checkBoundedJson(files[1]);
  }
  if (files.size() > 2) {
    fuzz::checkBoundedJson(files[2]);
    writeFile(dir + "/" + api::Journal::kFile,
              api::Journal::frame(files[2]) + (files.size() > 3 ? files[3] : std::string()));
  }
  try {
    api::FileStore store(dir);
    // Text read from disk is valid UTF-8 without controls or bidi overrides, whatever the
    // file held.
    if (const auto record = store.get("alice")) {
      for (const auto& [key, value] : record->metadata) {
        if (!safeTextLength(key) || !safeTextLength(value)) {
          std::abort();
        }
      }
    }
    store.list();
    api::RecordUpdate u;
    u.ipv6 = IpAddress::parse("2001:db8::1");
    u.metadata = api::Metadata{{"note", "fuzz"}};
    store.update("alice", u, 1700000000);
    store.expireDue(4000000000);
    store.flush();
  } catch (const std::runtime_error&) {
    // A journal entry naming a record whose file cannot be written (a name too long for the
    // file system): the start is refused, which is the documented outcome.
  }
  return 0;
}
