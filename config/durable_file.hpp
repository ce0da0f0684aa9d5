#pragma once

#include <sys/types.h>

#include <string>

namespace chipmunk {

// Writes `content` to dirFd/name so that a crash at any instant leaves the old or the new
// content, never a torn or empty file: a temporary file (".<name>.tmp") in the same
// directory, fsync, rename over the target, fsync of the directory. On failure returns
// false with the reason in `error`, and the target is untouched.
bool writeFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode = 0644);

}  // namespace chipmunk
