// SPDX-License-Identifier: MIT
#pragma once

// Small helpers shared by the tests/api/*_integration_test.cpp files, which start the real
// chipmunk-api binary (ApiInstance) and talk HTTP to it over loopback sockets.

#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test::integration {

inline bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The lines of `text` that contain `needle`.
inline std::vector<std::string> linesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string line = text.substr(start, end - start);
    if (contains(line, needle)) {
      out.push_back(line);
    }
    start = end + 1;
  }
  return out;
}

// Nanoseconds since the epoch of a file's last modification, or -1 if it does not exist.
inline long long mtimeNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return -1;
  }
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

// One chipmunk-api command line run to completion.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline CommandResult runApi(const std::vector<std::string>& args,
                            const std::string& stdinText = {}) {
  TempDir dir;
  std::vector<std::string> argv{CHIPMUNK_API_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r;
  r.status =
      runCommand(argv, dir.file("out"), dir.file("err"), stdinText, std::chrono::seconds(30));
  r.out = readFile(dir.file("out"));
  r.err = readFile(dir.file("err"));
  return r;
}

// One request from a chosen local address (127.0.0.2 is another client of a loopback
// server); Connection: close.
inline HttpResponse requestFrom(const std::string& source, int port, const std::string& method,
                                const std::string& path, const std::string& extra = {}) {
  HttpConnection conn("127.0.0.1", port, std::chrono::seconds(10), source);
  conn.sendRaw(method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + extra +
               "\r\n");
  return conn.readResponse(method == "HEAD");
}

}  // namespace chipmunk::test::integration
