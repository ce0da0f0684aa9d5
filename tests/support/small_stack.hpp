// SPDX-License-Identifier: MIT
#pragma once

// Runs a function on a thread with a small stack: code whose stack use grows with its input
// (a recursive parser) crashes there on inputs that an 8 MB main-thread stack survives, so a
// test can tell "bounded" from "lucky". Catch2 v2 assertions are not thread-safe: compute in
// `fn`, check after it returns.
#include <pthread.h>

#include <cstddef>
#include <functional>

namespace chipmunk::test {

inline bool runOnSmallStack(const std::function<void()>& fn, size_t stackBytes = 256 * 1024) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) {
    return false;
  }
  pthread_attr_setstacksize(&attr, stackBytes);
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  pthread_t thread;
  const bool started =
      pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) == 0;
  pthread_attr_destroy(&attr);
  if (started) {
    pthread_join(thread, nullptr);
  }
  return started;
}

}  // namespace chipmunk::test
