// SPDX-License-Identifier: MIT
// The file backend of the directory: <data dir>/.users, .hosts and .tokens, each written
// whole with writeFileDurably (a crash leaves the old or the new file). Edits by the admin
// commands are serialised by an flock on <data dir>/.directory.lock (not the store's
// .chipmunk.lock, which the running server holds). The server notices a change by the
// files' inode, size and modification time.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>

#include "api/directory.hpp"
#include "common/durable_file.hpp"

namespace chipmunk::api {
namespace {

// 1M users at ~130 bytes a line fit; a file beyond this is refused, never read.
constexpr size_t kMaxFileSize = 256u * 1024 * 1024;
constexpr std::array<const char*, 3> kFiles = {".users", ".hosts", ".tokens"};

struct Stamp {
  bool exists = false;
  ino_t inode = 0;
  off_t size = 0;
  long long mtimeNs = 0;
  bool operator==(const Stamp& o) const {
    return exists == o.exists && inode == o.inode && size == o.size && mtimeNs == o.mtimeNs;
  }
};

class FileDirectory : public Directory {
 public:
  FileDirectory(std::string dir, int dirFd) : dir_(std::move(dir)), dirFd_(dirFd) {}
  ~FileDirectory() override { ::close(dirFd_); }

  // Directory
  bool changed() override { return stamps() != seen_; }
  bool load(DirectoryData& out, std::string& error) override {
    seen_ = stamps();  // before reading: a change while reading is seen next time
    return read(out, error);
  }
  bool putUser(const DirectoryUser& user, bool mustBeNew, bool mustExist,
               std::string& error) override {
    return edit(error, [&](DirectoryData& d, std::string& err) {
      auto it = std::find_if(d.users.begin(), d.users.end(),
                             [&](const DirectoryUser& u) { return u.name == user.name; });
      if (it != d.users.end() && mustBeNew) {
        err = "user " + user.name + " already exists";
        return 0;
      }
      if (it == d.users.end() && mustExist) {
        err = "no user " + user.name + " in the directory";
        return 0;
      }
      if (it == d.users.end()) {
        d.users.push_back(user);
      } else {
        *it = user;
      }
      return kUsers;
    });
  }
  bool deleteUser(const std::string& name, std::string& error) override;
  bool putHost(const DirectoryHost& host, std::string& error) override {
    return edit(error, [&](DirectoryData& d, std::string&) {
      auto it = std::find_if(d.hosts.begin(), d.hosts.end(),
                             [&](const DirectoryHost& h) { return h.name == host.name; });
      if (it == d.hosts.end()) {
        d.hosts.push_back(host);
      } else {
        it->owner = host.owner;
      }
      return kHosts;
    });
  }
  bool deleteHost(const std::string& name, std::string& error) override;
  bool addToken(const DirectoryToken& token, std::string& error) override {
    return edit(error, [&](DirectoryData& d, std::string&) {
      d.tokens.push_back(token);
      return kTokens;
    });
  }
  bool revokeToken(const std::string& id, std::string& error) override {
    return edit(error, [&](DirectoryData& d, std::string& err) {
      const auto before = d.tokens.size();
      d.tokens.erase(std::remove_if(d.tokens.begin(), d.tokens.end(),
                                    [&](const DirectoryToken& t) { return t.id == id; }),
                     d.tokens.end());
      if (d.tokens.size() == before) {
        err = "no token " + id;
        return 0;
      }
      return kTokens;
    });
  }

 private:
  static constexpr int kUsers = 1, kHosts = 2, kTokens = 4;
  // Returns which files to write (0: nothing, with `error` set when refused).
  using Edit = std::function<int(DirectoryData&, std::string&)>;

  std::array<Stamp, 3> stamps() const;
  bool readOne(const char* name, std::string& text, std::string& error) const;
  bool read(DirectoryData& out, std::string& error) const;
  bool edit(std::string& error, const Edit& change);
  static void dropTokensOf(DirectoryData& d, const std::vector<std::string>& owners);

  std::string dir_;
  int dirFd_;
  std::array<Stamp, 3> seen_{};
};

std::array<Stamp, 3> FileDirectory::stamps() const {
  std::array<Stamp, 3> out{};
  for (size_t i = 0; i < kFiles.size(); ++i) {
    struct stat st {};
    if (::fstatat(dirFd_, kFiles[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
      out[i] = {true, st.st_ino, st.st_size,
                static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
    }
  }
  return out;
}

bool FileDirectory::readOne(const char* name, std::string& text, std::string& error) const {
  const ReadStatus status = readRegularFile(dirFd_, name, kMaxFileSize, text, error);
  if (status == ReadStatus::kMissing) {
    text.clear();
    return true;
  }
  if (status != ReadStatus::kOk) {
    error = dir_ + "/" + name + ":0: " + error;
    return false;
  }
  return true;
}

bool FileDirectory::read(DirectoryData& out, std::string& error) const {
  DirectoryData d;
  std::string users, hosts, tokens;
  if (!readOne(".users", users, error) || !readOne(".hosts", hosts, error) ||
      !readOne(".tokens", tokens, error)) {
    return false;
  }
  if (!parseUsers(users, dir_ + "/.users", d.users, error) ||
      !parseHosts(hosts, dir_ + "/.hosts", d.hosts, error) ||
      !parseTokens(tokens, dir_ + "/.tokens", d.tokens, error)) {
    return false;
  }
  out = std::move(d);
  return true;
}

bool FileDirectory::edit(std::string& error, const Edit& change) {
  const int lockFd =
      ::openat(dirFd_, ".directory.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lockFd < 0 || ::flock(lockFd, LOCK_EX) != 0) {
    error = "cannot lock " + dir_ + "/.directory.lock: " + std::strerror(errno);
    if (lockFd >= 0) {
      ::close(lockFd);
    }
    return false;
  }
  DirectoryData d;
  bool ok = read(d, error);
  const int which = ok ? change(d, error) : 0;
  ok = ok && which != 0;
  // The user file first: a removed user loses access before its hosts and tokens go.
  if (ok && (which & kUsers) != 0) {
    ok = writeFileDurably(dirFd_, ".users", formatUsers(d.users), error, 0600);
  }
  if (ok && (which & kHosts) != 0) {
    ok = writeFileDurably(dirFd_, ".hosts", formatHosts(d.hosts), error, 0644);
  }
  if (ok && (which & kTokens) != 0) {
    ok = writeFileDurably(dirFd_, ".tokens", formatTokens(d.tokens), error, 0600);
  }
  ::close(lockFd);  // releases the lock
  return ok;
}

void FileDirectory::dropTokensOf(DirectoryData& d, const std::vector<std::string>& owners) {
  d.tokens.erase(std::remove_if(d.tokens.begin(), d.tokens.end(),
                                [&](const DirectoryToken& t) {
                                  return std::find(owners.begin(), owners.end(), t.owner) !=
                                         owners.end();
                                }),
                 d.tokens.end());
}

bool FileDirectory::deleteUser(const std::string& name, std::string& error) {
  return edit(error, [&](DirectoryData& d, std::string& err) {
    const auto before = d.users.size();
    d.users.erase(std::remove_if(d.users.begin(), d.users.end(),
                                 [&](const DirectoryUser& u) { return u.name == name; }),
                  d.users.end());
    if (d.users.size() == before) {
      err = "no user " + name + " in the directory";
      return 0;
    }
    std::vector<std::string> owners{name};
    for (const auto& h : d.hosts) {
      if (h.owner == name) {
        owners.push_back(h.name);
      }
    }
    d.hosts.erase(std::remove_if(d.hosts.begin(), d.hosts.end(),
                                 [&](const DirectoryHost& h) { return h.owner == name; }),
                  d.hosts.end());
    dropTokensOf(d, owners);
    return kUsers | kHosts | kTokens;
  });
}

bool FileDirectory::deleteHost(const std::string& name, std::string& error) {
  return edit(error, [&](DirectoryData& d, std::string& err) {
    const auto before = d.hosts.size();
    d.hosts.erase(std::remove_if(d.hosts.begin(), d.hosts.end(),
                                 [&](const DirectoryHost& h) { return h.name == name; }),
                  d.hosts.end());
    if (d.hosts.size() == before) {
      err = "no host " + name + " in the directory";
      return 0;
    }
    dropTokensOf(d, {name});
    return kHosts | kTokens;
  });
}

}  // namespace

std::unique_ptr<Directory> openFileDirectory(const std::string& dataDir, std::string& error) {
  const int fd = ::open(dataDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open data directory " + dataDir + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<FileDirectory>(dataDir, fd);
}

std::unique_ptr<Directory> openDirectory(const config::ApiConfig& config, std::string& error) {
  if (config.storeBackend == config::StoreBackend::kPostgresql) {
    return openPgDirectory(config.postgresqlConninfo, error);
  }
  return openFileDirectory(config.dataDir, error);
}

}  // namespace chipmunk::api
