// SPDX-License-Identifier: MIT
#pragma once

// A shared library opened with dlopen() on first use rather than linked: libcurl (https://
// only, providers/http/curl_transport.cpp) and libldns (the rfc2136 provider) bring ~35 and
// ~3 libraries with them that a daemon speaking plain HTTP to a local API should not map.

#include <string>
#include <type_traits>
#include <vector>

namespace chipmunk {

class SharedLibrary {
 public:
  // Opens the first of `sonames` that loads (RTLD_NOW | RTLD_LOCAL). The library is never
  // closed: the function pointers taken from it live as long as the process. When none
  // loads, loaded() is false and error() holds dlerror()'s reasons.
  explicit SharedLibrary(const std::vector<std::string>& sonames);

  bool loaded() const { return handle_ != nullptr; }
  const std::string& soname() const { return soname_; }  // the one that loaded

  // Points `target` (a function or data pointer) at the symbol `name`; nullptr when it is
  // missing, which error() then reports. The first missing symbol is the one named.
  template <typename T>
  void bind(T& target, const char* name) {
    static_assert(std::is_pointer_v<T>, "bind() fills a pointer");
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    target = reinterpret_cast<T>(symbol(name));
  }

  // True when the library loaded and every bind() found its symbol.
  bool complete() const { return loaded() && missing_.empty(); }
  // Why complete() is false: "cannot load libx.so.1: <dlerror>" or "libx.so.1 has no
  // x_function"; empty when it is true.
  std::string error() const;

 private:
  void* symbol(const char* name);

  void* handle_ = nullptr;
  std::string soname_;
  std::string loadError_;
  std::string missing_;
};

}  // namespace chipmunk
