// SPDX-License-Identifier: MIT
#pragma once

// Secrets out of configuration files: every secret setting `X` also accepts `X_file = PATH`,
// and its value is then that file's content (one line; one trailing newline dropped).
//
// PATH is `$CREDENTIALS_DIRECTORY/NAME` for a systemd credential (LoadCredential=NAME:...),
// or any other path, relative ones against the configuration file's directory. The file
// must be private: a regular file owned by this user or root, with no permission for group
// or others (0600, 0400). In $CREDENTIALS_DIRECTORY, which systemd makes readable by the
// service alone, the group bits are allowed (they are the ACL mask systemd may set there).

#include <cstddef>
#include <string>

namespace chipmunk::config {

inline constexpr size_t kMaxSecretFileBytes = 64 * 1024;
inline constexpr const char* kSecretFileSuffix = "_file";
inline constexpr const char* kCredentialsPrefix = "$CREDENTIALS_DIRECTORY/";

// Reads the secret PATH (`pathText` as written) names into `value`. Returns an error message
// that names the file but never its content, or an empty string.
std::string readSecretFile(const std::string& pathText, const std::string& baseDir,
                           std::string& value);

}  // namespace chipmunk::config
