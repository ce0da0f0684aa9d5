// SPDX-License-Identifier: MIT
// What the address book tests share (route_set_, route_hosts_, access_ and
// hooks_integration_test.cpp): the users, requests as a client and as a browser sends them,
// and a hook that records what it is told.
#pragma once

#include <rapidjson/document.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace chipmunk::test::addressbook {

inline const char* const kUsers =
    "[Users]\nalice = secret\nbob = hunter2\nadmin = root-pw\n"
    "[Hosts]\nnas.example.org = alice\n"
    "[Access]\nread_all = admin\n";

inline const std::string kAgent = "User-Agent: chipmunk-test/1.0\r\n";
// 32 bytes of zeros as a WireGuard key.
inline const std::string kWgKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

inline HttpResponse get(const ApiInstance& api, const std::string& path, const std::string& user,
                        const std::string& password) {
  return httpRequest(api.port(), "GET", path, basicAuth(user, password));
}

// The names on one /hosts page ({"hosts": [...], "next": ...}).
inline std::set<std::string> names(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  std::set<std::string> out;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("hosts") ||
      !doc["hosts"].IsArray()) {
    out.insert("<not a /hosts page>");
    return out;
  }
  for (const auto& r : doc["hosts"].GetArray()) {
    out.insert(r["name"].GetString());
  }
  return out;
}

inline std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(readFile(path));
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// A hook that appends its CHIPMUNK_* environment as one line to <dir>/hooks.txt.
inline std::string writeRecordingHook(const ApiInstance& api) {
  const std::string script = api.dir().file("hook.sh");
  writeFile(script,
            "printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$CHIPMUNK_EVENT\" \"$CHIPMUNK_USER\" "
            "\"$CHIPMUNK_HOST\" \"$CHIPMUNK_OLD_IP\" \"$CHIPMUNK_NEW_IP\" \"$CHIPMUNK_OLD_IPV4\" "
            "\"$CHIPMUNK_NEW_IPV4\" \"$CHIPMUNK_OLD_IPV6\" \"$CHIPMUNK_NEW_IPV6\" >> " +
                api.dir().file("hooks.txt") + "\n");
  return "sh " + script;
}

// A request as a browser would send it, with Fetch Metadata and/or Origin headers.
inline HttpResponse browser(const ApiInstance& api, const std::string& method,
                            const std::string& path, const std::string& headers,
                            const std::string& body = {}) {
  std::string extra = basicAuth("alice", "secret") + kAgent + headers;
  if (method == "POST") {
    extra += "Content-Type: application/x-www-form-urlencoded\r\n";
  }
  return httpRequest(api.port(), method, path, extra, body);
}

inline std::string note(const ApiInstance& api) {
  rapidjson::Document doc;
  const std::string body = get(api, "/hosts/alice", "alice", "secret").body;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc["metadata"].HasMember("note")) {
    return "<no note in " + body.substr(0, 200) + ">";
  }
  return doc["metadata"]["note"].GetString();
}

}  // namespace chipmunk::test::addressbook
