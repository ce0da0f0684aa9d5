// SPDX-License-Identifier: MIT
// The request parser of chipmunk-api (api/http_wire.cpp, api/http_wire_reader.cpp):
// HeadScanner and the server's RequestReader fed in arbitrary read sizes, checkRequestHead
// on whatever head it finds, oversizeStatus and parseQuery. Checks that the scan and the
// requests read do not depend on how the bytes were split, that every request read fits
// the limit, and that a head the guard accepts has the properties the HTTP layer relies
// on: one unambiguous length, no Transfer-Encoding, no NUL, CR or LF inside a line, a
// target without spaces.
#include <fuzzer/FuzzedDataProvider.h>
#include <strings.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "api/http_wire.hpp"
#include "api/http_wire_reader.hpp"

namespace {

using namespace chipmunk::api;

void require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

// Field lines named `lowerName`, counted independently of checkRequestHead.
int countField(const std::string& head, const char* lowerName) {
  int n = 0;
  const size_t len = std::char_traits<char>::length(lowerName);
  for (size_t pos = head.find("\r\n"); pos != std::string::npos; pos = head.find("\r\n", pos)) {
    pos += 2;
    if (head.size() >= pos + len + 1 && strncasecmp(head.data() + pos, lowerName, len) == 0 &&
        head[pos + len] == ':') {
      ++n;
    }
  }
  return n;
}

// What a RequestReader reads from `bytes` taken `chunk` bytes at a time: a digest of each
// request, then the refusal (or 0).
std::vector<std::string> readRequests(const std::string& bytes, size_t chunk, size_t limit) {
  RequestReader reader(limit);
  std::vector<std::string> out;
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    reader.append(bytes.data() + i, std::min(chunk, bytes.size() - i));
    for (;;) {
      ParsedRequest r;
      const int got = reader.next(r);
      if (got == RequestReader::kAgain) {
        break;
      }
      if (got != RequestReader::kReady) {
        require(got == 400 || got == 411 || got == 413 || got == 414 || got == 431 || got == 501);
        out.push_back(std::to_string(got));
        return out;
      }
      require(r.info.body.size() <= limit && !r.info.methodName.empty());
      require(r.info.path.find_first_of(" \r\n") == std::string::npos);
      out.push_back(r.info.methodName + ' ' + r.info.path + ' ' + std::to_string(r.keepAlive) +
                    ' ' + r.info.host.value_or("-") + ' ' + r.info.body);
    }
    require(reader.buffered() <= limit);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const size_t chunk = in.ConsumeIntegralInRange<size_t>(1, 64);
  const size_t limit = in.ConsumeIntegralInRange<size_t>(16, 2048);
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  require(readRequests(bytes, chunk, limit) == readRequests(bytes, bytes.size() + 1, limit));

  HeadScanner split;
  size_t fed = 0;
  int oversize = 0;
  for (size_t i = 0; i < bytes.size() && split.headEnd() == HeadScanner::npos && !split.bad();
       i += chunk) {
    const size_t n = std::min(chunk, bytes.size() - i);
    split.scan(bytes.data() + i, n);
    fed += n;
    if (fed > limit && oversize == 0) {
      oversize = oversizeStatus(split, limit);
      require(oversize == 414 || oversize == 431 || oversize == 413);
    }
  }
  HeadScanner whole;
  whole.scan(bytes.data(), bytes.size());
  require(whole.bad() == split.bad());
  require(whole.lineEnd() == split.lineEnd());
  require(whole.headEnd() == split.headEnd());
  if (whole.headEnd() == HeadScanner::npos || whole.bad()) {
    return 0;
  }
  const std::string head = bytes.substr(0, whole.headEnd());
  RequestHead parsed;
  const int status = checkRequestHead(head, parsed);
  require(status == 0 || status == 400 || status == 411);
  if (status != 0) {
    return 0;
  }
  require(head.find('\0') == std::string::npos);
  require(countField(head, "content-length") <= 1);
  require(countField(head, "transfer-encoding") == 0);
  require(countField(head, "host") <= 1);
  require(!parsed.method.empty() && !parsed.target.empty());
  require(parsed.target.find_first_of(" \t\r\n") == std::string_view::npos);
  if (parsed.contentLength) {
    require(countField(head, "content-length") == 1);
  }
  // Each line ends in CRLF with no CR or LF inside it.
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') {
      require(i + 1 < head.size() && head[i + 1] == '\n');
    } else if (head[i] == '\n') {
      require(i > 0 && head[i - 1] == '\r');
    }
  }
  std::vector<std::pair<std::string, std::string>> fields;
  parseQuery(parsed.target, fields);
  return 0;
}
