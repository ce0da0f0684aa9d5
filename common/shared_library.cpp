// SPDX-License-Identifier: MIT
#include "common/shared_library.hpp"

#include <dlfcn.h>

namespace chipmunk {

SharedLibrary::SharedLibrary(const std::vector<std::string>& sonames) {
  for (const auto& name : sonames) {
    handle_ = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      soname_ = name;
      return;
    }
    const char* reason = ::dlerror();
    loadError_ += (loadError_.empty() ? "" : "; ") +
                  (reason != nullptr ? std::string(reason) : "cannot load " + name);
  }
  if (sonames.empty()) {
    loadError_ = "no library named";
  }
}

void* SharedLibrary::symbol(const char* name) {
  if (handle_ == nullptr) {
    return nullptr;
  }
  void* found = ::dlsym(handle_, name);
  if (found == nullptr && missing_.empty()) {
    missing_ = name;
  }
  return found;
}

std::string SharedLibrary::error() const {
  if (!loaded()) {
    return loadError_;
  }
  return missing_.empty() ? std::string() : soname_ + " has no " + missing_;
}

}  // namespace chipmunk
