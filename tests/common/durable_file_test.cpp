// SPDX-License-Identifier: MIT
// The durable write's order of system calls, observed by interposing fsync(), fdatasync(),
// renameat() and unlinkat(): the test binary's own definitions take precedence over libc's for the
// product code linked into it (static libraries), and they pass every call on to the kernel
// with syscall(2), so the rest of the suite is unaffected. Only calls made on a thread that
// is recording are logged.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/durable_file.hpp"
#include "tests/support/temp_dir.hpp"

// The file store (api/) is not built in an updater-only build (CHIPMUNK_BUILD_API=OFF);
// tests/CMakeLists.txt defines CHIPMUNK_HAVE_API when it is.
#ifdef CHIPMUNK_HAVE_API
#include "api/file_store.hpp"
#define CHIPMUNK_HAVE_FILE_STORE 1
#endif

using chipmunk::test::readFile;
using chipmunk::test::TempDir;

namespace {

struct SysCall {
  std::string what;  // "fsync-file", "fsync-dir", "fsync-other", "fdatasync", "rename", "unlink"
  ino_t inode = 0;   // of the fsynced descriptor
  std::string name;  // rename's new name, unlink's name
};

thread_local std::vector<SysCall>* tRecording = nullptr;

ino_t inodeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Index of the first call matching, at or after `from`; -1 if none.
int find(const std::vector<SysCall>& calls, const std::string& what, ino_t inode,
         const std::string& name = {}, size_t from = 0) {
  for (size_t i = from; i < calls.size(); ++i) {
    if (calls[i].what == what && (inode == 0 || calls[i].inode == inode) &&
        (name.empty() || calls[i].name == name)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

class Recording {
 public:
  Recording() { tRecording = &calls_; }
  ~Recording() { tRecording = nullptr; }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  const std::vector<SysCall>& calls() const { return calls_; }

 private:
  std::vector<SysCall> calls_;
};

}  // namespace

static void recordSync(int fd, bool dataOnly) {
  if (tRecording != nullptr) {
    struct stat st {};
    SysCall c;
    if (::fstat(fd, &st) == 0) {
      c.what = dataOnly              ? "fdatasync"
               : S_ISDIR(st.st_mode) ? "fsync-dir"
               : S_ISREG(st.st_mode) ? "fsync-file"
                                     : "fsync-other";
      c.inode = st.st_ino;
    }
    tRecording->push_back(c);
  }
}

extern "C" int fsync(int fd) {
  recordSync(fd, false);
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

extern "C" int fdatasync(int fd) {
  recordSync(fd, true);
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

// noexcept: glibc declares these two __THROW.
extern "C" int renameat(int oldDirFd, const char* oldPath, int newDirFd,
                        const char* newPath) noexcept {
  if (tRecording != nullptr) {
    tRecording->push_back({"rename", 0, newPath});
  }
#ifdef SYS_renameat
  return static_cast<int>(::syscall(SYS_renameat, oldDirFd, oldPath, newDirFd, newPath));
#else
  return static_cast<int>(::syscall(SYS_renameat2, oldDirFd, oldPath, newDirFd, newPath, 0));
#endif
}

extern "C" int unlinkat(int dirFd, const char* path, int flags) noexcept {
  if (tRecording != nullptr) {
    tRecording->push_back({"unlink", 0, path});
  }
  return static_cast<int>(::syscall(SYS_unlinkat, dirFd, path, flags));
}

TEST_CASE("Unit: a durable write fsyncs the file, renames it, then fsyncs the directory",
          "[config][unit]") {
  TempDir dir;
  const int dirFd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dirFd >= 0);
  std::string error;
  std::vector<SysCall> calls;
  {
    Recording rec;
    REQUIRE(chipmunk::writeFileDurably(dirFd, "alice.cm", "198.51.100.1\n", error));
    calls = rec.calls();
  }
  ::close(dirFd);
  CHECK(readFile(dir.file("alice.cm")) == "198.51.100.1\n");
  const ino_t file = inodeOf(dir.file("alice.cm"));
  const ino_t directory = inodeOf(dir.path());
  // The content is on disk before its name points at it, and the new name is on disk
  // before the write reports success (without the last fsync a power cut can bring the old
  // record back after the client was told "good").
  const int fileSync = find(calls, "fsync-file", file);
  const int rename = find(calls, "rename", 0, "alice.cm");
  REQUIRE(fileSync >= 0);
  REQUIRE(rename >= 0);
  CHECK(fileSync < rename);
  CHECK(find(calls, "fsync-dir", directory, {}, static_cast<size_t>(rename)) > rename);
}

#ifdef CHIPMUNK_HAVE_FILE_STORE
TEST_CASE(
    "Unit: the file store's writes and expiries are in its journal on disk before they return",
    "[api][unit]") {
  TempDir dir;
  chipmunk::api::FileStore store(dir.path());
  const ino_t directory = inodeOf(dir.path());
  const ino_t journal = inodeOf(dir.file(chipmunk::api::Journal::kFile));
  std::vector<SysCall> calls;
  {
    Recording rec;
    chipmunk::api::RecordUpdate u;
    u.ipv4 = chipmunk::IpAddress::parse("198.51.100.1");
    u.ttl = 10;
    REQUIRE(store.update("alice", u, 1000).outcome == chipmunk::api::SetOutcome::kSaved);
    calls = rec.calls();
  }
  // Both files in place (a reader never sees a torn one), then the journal's fdatasync: the
  // change is durable before update() returns (a replay rewrites the files after a cut).
  const int cm = find(calls, "rename", 0, "alice.cm");
  const int json = find(calls, "rename", 0, "alice.json");
  REQUIRE(cm >= 0);
  REQUIRE(json > cm);
  CHECK(find(calls, "fdatasync", journal, {}, static_cast<size_t>(json)) > json);
  {
    Recording rec;
    REQUIRE(store.expireDue(2000).size() == 1);
    calls = rec.calls();
  }
  // The withdrawn address must not come back after a power cut: its entry (a replay
  // removes alice.cm again) is durable after the unlink.
  const int unlink = find(calls, "unlink", 0, "alice.cm");
  REQUIRE(unlink >= 0);
  CHECK(find(calls, "fdatasync", journal, {}, static_cast<size_t>(unlink)) > unlink);
  {
    Recording rec;
    REQUIRE(store.checkpoint());
    calls = rec.calls();
  }
  // A checkpoint syncs the record files, then the directory, and only then deletes the
  // journal that covered them.
  const int fileSync = find(calls, "fdatasync", inodeOf(dir.file("alice.json")));
  REQUIRE(fileSync >= 0);
  const int dirSync = find(calls, "fsync-dir", directory, {}, static_cast<size_t>(fileSync));
  CHECK(dirSync > fileSync);
  CHECK(find(calls, "unlink", 0, chipmunk::api::Journal::kOldFile) > dirSync);
}
#endif

TEST_CASE("Unit: readRegularFile reads only regular files, never blocking", "[config][unit]") {
  TempDir dir;
  chipmunk::test::writeFile(dir.file("ok"), "hello\n");
  chipmunk::test::writeFile(dir.file("big"), std::string(100, 'x'));
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0644) == 0);
  REQUIRE(::symlink(dir.file("ok").c_str(), dir.file("link").c_str()) == 0);
  REQUIRE(::mkdir(dir.file("sub").c_str(), 0755) == 0);
  const int dirFd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dirFd >= 0);
  std::string out;
  std::string error;
  using chipmunk::ReadStatus;
  CHECK(chipmunk::readRegularFile(dirFd, "ok", 64, out, error) == ReadStatus::kOk);
  CHECK(out == "hello\n");
  CHECK(chipmunk::readRegularFile(dirFd, "missing", 64, out, error) == ReadStatus::kMissing);
  CHECK(chipmunk::readRegularFile(dirFd, "big", 64, out, error) == ReadStatus::kTooLarge);
  CHECK(out.empty());
  // No writer will ever open this FIFO: a blocking open would hang here.
  CHECK(chipmunk::readRegularFile(dirFd, "fifo", 64, out, error) == ReadStatus::kNotRegular);
  CHECK(error == "not a regular file");
  CHECK(chipmunk::readRegularFile(dirFd, "link", 64, out, error) == ReadStatus::kNotRegular);
  CHECK(chipmunk::readRegularFile(dirFd, "sub", 64, out, error) == ReadStatus::kNotRegular);
  CHECK(chipmunk::readRegularFile(AT_FDCWD, dir.file("ok"), 64, out, error) == ReadStatus::kOk);
  ::close(dirFd);
}
