// SPDX-License-Identifier: MIT
#include "config/ini.hpp"

#include <ini.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/strings.hpp"

namespace chipmunk::config {
namespace {

// State shared by the line reader and the handler. inih in Debian is built without
// INI_HANDLER_LINENO, so the reader counts lines and the handler reads the count.
struct ParseState {
  const std::string* text = nullptr;
  size_t pos = 0;
  int line = 0;
  IniDocument* doc = nullptr;
  std::vector<std::string>* errors = nullptr;
  bool ok = true;
  // The value of the line just handed to inih when that line was too long for inih: inih
  // got a placeholder value and the handler puts this one in its place.
  std::optional<std::string> longValue;

  void error(const std::string& message) {
    errors->push_back(doc->path + ":" + std::to_string(line) + ": " + message);
    ok = false;
  }
};

// What inih makes of the text after the '=' (r55, ini.c, with INI_ALLOW_INLINE_COMMENTS and
// ";" as the prefix): white space trimmed, cut at a ';' that follows white space.
std::string inihValue(const std::string& rest) {
  std::string value(trimAscii(rest));
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == ';' && std::isspace(static_cast<unsigned char>(value[i - 1])) != 0) {
      value.erase(i);
      break;
    }
  }
  return std::string(trimAscii(value));
}

// A `key = value` line longer than inih's buffer: inih gets "key = <placeholder>" and the
// value waits in `state` for the handler. False when even that cannot work (the key alone
// is too long, or the line is over kMaxSettingLineLength).
bool passLongSetting(ParseState* state, std::string& line) {
  const auto sep = line.find_first_of("=:");
  if (sep == std::string::npos || sep + 8 > static_cast<size_t>(kMaxIniLineLength)) {
    state->error("line longer than " + std::to_string(kMaxIniLineLength) + " characters");
    return false;
  }
  if (line.size() > kMaxSettingLineLength) {
    state->error("line longer than " + std::to_string(kMaxSettingLineLength) + " characters");
    return false;
  }
  if (!trimAscii(line.substr(0, sep)).empty() && !state->doc->sections.empty()) {
    state->longValue = inihValue(line.substr(sep + 1));
  }  // else the checks that follow report the line
  line = line.substr(0, sep + 1) + " long";
  return true;
}

// Hands inih one line at a time, already checked: over-long lines and lines that are
// neither a section, a comment nor `key = value` are reported here (with their line) and
// replaced by a comment, so inih never sees a truncated or malformed line. Leading white
// space is removed, which also disables inih's continuation lines: an indented line is
// an ordinary line.
char* readLine(char* str, int num, void* stream) {
  auto* state = static_cast<ParseState*>(stream);
  const std::string& text = *state->text;
  if (state->pos >= text.size()) {
    return nullptr;
  }
  size_t end = text.find('\n', state->pos);
  if (end == std::string::npos) {
    end = text.size();
  }
  std::string raw = text.substr(state->pos, end - state->pos);
  state->pos = end + 1;
  ++state->line;
  if (state->line == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) {
    raw.erase(0, 3);
  }
  std::string line(trimAscii(raw));
  const bool comment = line.empty() || line[0] == ';' || line[0] == '#';
  if (!comment) {
    if (raw.find('\0') != std::string::npos) {
      state->error("NUL byte in line");
      line = ";";
    } else if ((static_cast<int>(line.size()) > kMaxIniLineLength ||
                static_cast<int>(line.size()) + 2 > num) &&
               (line[0] == '[' || !passLongSetting(state, line))) {
      if (line[0] == '[') {
        state->error("line longer than " + std::to_string(kMaxIniLineLength) + " characters");
      }
      line = ";";
    } else if (line[0] == '[') {
      const auto close = line.find(']');
      const std::string name =
          close == std::string::npos ? "" : std::string(trimAscii(line.substr(1, close - 1)));
      const std::string rest =
          close == std::string::npos ? "" : std::string(trimAscii(line.substr(close + 1)));
      if (close == std::string::npos || name.empty() ||
          (!rest.empty() && rest[0] != ';' && rest[0] != '#')) {
        state->error("malformed section header: " + line.substr(0, 40));
        line = ";";
      } else {
        state->doc->sections.push_back({name, state->line});
      }
    } else {
      const auto sep = line.find_first_of("=:");
      if (sep == std::string::npos) {
        state->error("expected 'key = value', '[section]' or a comment");
        line = ";";
      } else if (trimAscii(line.substr(0, sep)).empty()) {
        state->error("missing key before '" + std::string(1, line[sep]) + "'");
        line = ";";
      } else if (state->doc->sections.empty()) {
        state->error("setting outside of any [section]");
        line = ";";
      }
    }
  } else {
    line = ";";
  }
  std::memcpy(str, line.data(), line.size());
  str[line.size()] = '\n';
  str[line.size() + 1] = '\0';
  return str;
}

int onEntry(void* user, const char* section, const char* name, const char* value) {
  auto* state = static_cast<ParseState*>(user);
  state->doc->entries.push_back({section, name, state->longValue.value_or(value), state->line});
  state->longValue.reset();
  return 1;
}

}  // namespace

bool parseIniText(const std::string& text, const std::string& path, IniDocument& doc,
                  std::vector<std::string>& errors) {
  doc.path = path;
  ParseState state;
  state.text = &text;
  state.doc = &doc;
  state.errors = &errors;
  const int rc = ini_parse_stream(&readLine, &state, &onEntry, &state);
  if (rc != 0 && state.ok) {
    // inih found something our reader let through; its count matches ours.
    errors.push_back(path + ":" + std::to_string(rc) + ": syntax error");
    state.ok = false;
  }
  return state.ok;
}

bool parseIniFile(const std::string& path, IniDocument& doc, std::vector<std::string>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back(path + ": cannot open: " + std::strerror(errno));
    return false;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return parseIniText(content.str(), path, doc, errors);
}

}  // namespace chipmunk::config
