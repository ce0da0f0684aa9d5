#include "durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chipmunk {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

bool writeFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode) {
  const std::string tmp = "." + name + ".tmp";
  const int fd =
      ::openat(dirFd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
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
  if (::fsync(fd) != 0) {
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

}  // namespace chipmunk
