// SPDX-License-Identifier: MIT
#include "common/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace chipmunk {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

bool stageFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode, bool sync) {
  const std::string tmp = "." + name + ".tmp";
  // Only one writer per name at a time (callers hold a lock): what is at the temporary name
  // is a leftover of a crash or something planted (a FIFO there would block open() for
  // ever). Remove it and create the file anew; when that fails (a directory there, a
  // read-only file system) the exclusive create below says why.
  ::unlinkat(dirFd, tmp.c_str(), 0);
  const int fd = ::openat(dirFd, tmp.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
  if (fd < 0) {
    error = errnoText("create temporary file");
    return false;
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      error = errnoText("write");
      ::close(fd);
      ::unlinkat(dirFd, tmp.c_str(), 0);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) {
    error = errnoText("fsync");
    ::close(fd);
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  if (::close(fd) != 0) {
    error = errnoText("close");
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  return true;
}

bool writeFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode) {
  if (!stageFileDurably(dirFd, name, content, error, mode)) {
    return false;
  }
  const std::string tmp = "." + name + ".tmp";
  if (::renameat(dirFd, tmp.c_str(), dirFd, name.c_str()) != 0) {
    error = errnoText("rename");
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  if (::fsync(dirFd) != 0) {
    // The new content is in place; only its durability across a power cut is in doubt.
    error = errnoText("fsync directory");
    return false;
  }
  return true;
}

ReadStatus readRegularFile(int dirFd, const std::string& name, size_t maxSize, std::string& out,
                           std::string& error, const ReadOptions& options) {
  out.clear();
  const int fd = ::openat(
      dirFd, name.c_str(),
      O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (options.followSymlinks ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    if (errno == ENOENT) {
      error = "no such file";
      return ReadStatus::kMissing;
    }
    error = errnoText("open");
    return errno == ELOOP ? ReadStatus::kNotRegular : ReadStatus::kError;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = errnoText("fstat");
    ::close(fd);
    return ReadStatus::kError;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    ::close(fd);
    return ReadStatus::kNotRegular;
  }
  if (options.check) {
    error = options.check(st);
    if (!error.empty()) {
      ::close(fd);
      return ReadStatus::kRefused;
    }
  }
  if (static_cast<unsigned long long>(st.st_size) > maxSize) {
    error = "larger than " + std::to_string(maxSize) + " bytes";
    ::close(fd);
    return ReadStatus::kTooLarge;
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error = errnoText("read");
      ::close(fd);
      out.clear();
      return ReadStatus::kError;
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > maxSize) {  // grew while we read
      error = "larger than " + std::to_string(maxSize) + " bytes";
      ::close(fd);
      out.clear();
      return ReadStatus::kTooLarge;
    }
  }
  ::close(fd);
  return ReadStatus::kOk;
}

}  // namespace chipmunk
