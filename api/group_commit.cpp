// SPDX-License-Identifier: MIT
#include "api/group_commit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/durable_file.hpp"

namespace chipmunk::api {
namespace {

constexpr char kMagic[4] = {'C', 'M', 'J', '1'};
constexpr size_t kHeader = 12;  // magic, length, CRC-32
// The whole file is read at start: room for maxBytes plus what a full group adds.
constexpr size_t kMaxFile = 256u << 20;
constexpr off_t kExtend = 1 << 20;

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// CRC-32 (IEEE 802.3, as zlib's crc32).
uint32_t crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (const char ch : data) {
    c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFFu);
  }
}

uint32_t getU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  }
  return v;
}

// pwrite of all of `data` at `offset`.
bool writeAt(int fd, std::string_view data, off_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string Journal::frame(std::string_view payload) {
  std::string out(kMagic, sizeof kMagic);
  putU32(out, static_cast<uint32_t>(payload.size()));
  putU32(out, crc32(payload));
  out.append(payload.data(), payload.size());
  return out;
}

size_t Journal::read(int dirFd, const char* file,
                     const std::function<void(std::string_view payload)>& each) {
  std::string text;
  std::string error;
  const ReadStatus status = readRegularFile(dirFd, file, kMaxFile, text, error);
  if (status == ReadStatus::kMissing) {
    return 0;
  }
  if (status != ReadStatus::kOk) {
    // Never taken as empty: replay() would then remove it, and the acknowledged writes in
    // it with it. The store refuses to open until someone looks.
    throw std::runtime_error(std::string("cannot read the journal ") + file + ": " + error);
  }
  std::string_view rest = text;
  while (rest.size() >= kHeader && std::memcmp(rest.data(), kMagic, sizeof kMagic) == 0) {
    const size_t length = getU32(rest.substr(4));
    if (length > kMaxPayload || rest.size() - kHeader < length) {
      break;
    }
    const std::string_view payload = rest.substr(kHeader, length);
    if (crc32(payload) != getU32(rest.substr(8))) {
      break;
    }
    each(payload);
    rest.remove_prefix(kHeader + length);
  }
  // What follows the last entry is the zeros the file was extended with, or a torn entry.
  return rest.find_last_not_of('\0') == std::string_view::npos ? 0 : rest.size();
}

Journal::Journal(int dirFd, Counters& counters, Limits limits, std::function<void(int)> touch,
                 std::function<void()> full)
    : dirFd_(dirFd),
      counters_(counters),
      limits_(limits),
      touch_(std::move(touch)),
      full_(std::move(full)) {
  std::string error;
  fd_ = openActive(error);
  if (fd_ < 0) {
    throw std::runtime_error("cannot create the journal " + std::string(kFile) + ": " + error);
  }
}

Journal::~Journal() {
  ::close(fd_);
}

// A new, empty active file whose name is durable (the directory is fsynced).
int Journal::openActive(std::string& error) {
  const int fd =
      ::openat(dirFd_, kFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = errnoText("create");
    return -1;
  }
  counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (::fsync(dirFd_) != 0) {
    error = errnoText("fsync directory");
    ::close(fd);
    ::unlinkat(dirFd_, kFile, 0);
    return -1;
  }
  return fd;
}

size_t Journal::queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

size_t Journal::bytes() {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

size_t Journal::entries() {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_;
}

bool Journal::append(const std::string& key, const std::string& payload, bool touch,
                     std::string& error) {
  if (payload.size() > kMaxPayload) {
    error = "journal entry larger than " + std::to_string(kMaxPayload) + " bytes";
    return false;
  }
  Pending p{&key, frame(payload), touch, false, {}};
  std::unique_lock<std::mutex> lock(mutex_);
  // Back-pressure: past maxBytes the checkpoint is behind; wait for it, bounded.
  if (!cv_.wait_for(lock, limits_.maxWait, [&] { return bytes_ < limits_.maxBytes; })) {
    error = "journal full: the checkpoint is behind";
    return false;
  }
  queue_.push_back(&p);
  while (!p.done) {
    if (leading_ || rotating_) {
      cv_.wait(lock);
      continue;
    }
    leading_ = true;
    std::vector<Pending*> batch;
    batch.swap(queue_);
    for (Pending* q : batch) {
      keys_.insert(*q->key);
    }
    const int fd = fd_;
    lock.unlock();
    runBatch(fd, batch);
    lock.lock();
    for (Pending* q : batch) {
      q->done = true;
      if (q->error.empty()) {
        bytes_ += q->framed.size();
        ++entries_;
      }
    }
    leading_ = false;
    cv_.notify_all();
  }
  const bool full = bytes_ >= limits_.checkpointBytes || entries_ >= limits_.checkpointEntries;
  lock.unlock();
  if (full && full_) {
    full_();
  }
  error = p.error;
  return p.error.empty();
}

void Journal::runBatch(int fd, std::vector<Pending*>& batch) {
  std::string data;
  bool touch = false;
  for (const Pending* p : batch) {
    data += p->framed;
    touch = touch || p->touch;
  }
  std::string why;
  // The file grows by kExtend bytes of zeros at a time, written (not fallocated): an entry
  // then overwrites blocks that exist, and the fdatasync that makes it durable writes the
  // data alone, with no file-system metadata to commit (PostgreSQL's WAL does the same).
  const off_t end = end_ + static_cast<off_t>(data.size());
  bool ok = true;
  if (end > capacity_) {
    const off_t grown = (end / kExtend + 1) * kExtend;
    ok = writeAt(fd, std::string(static_cast<size_t>(grown - end), '\0'), end);
    capacity_ = ok ? grown : capacity_;
  }
  if (!ok || !writeAt(fd, data, end_)) {
    why = errnoText("write");
  } else {
    counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
    counters_.batches.fetch_add(1, std::memory_order_relaxed);
    if ((limits_.dataSync ? limits_.dataSync(fd) : ::fdatasync(fd)) != 0) {
      why = errnoText("fdatasync journal");
    } else {
      end_ = end;
    }
  }
  if (!why.empty()) {
    // Cut the group off: nothing acknowledged may follow a torn entry, and a group its
    // writers were told failed must not come back at the next start's replay. (After a
    // failed fdatasync the kernel may drop the pages: what follows is written again.)
    if (::ftruncate(fd, end_) != 0) {
      why += " (and the journal could not be cut back: " + errnoText("ftruncate") + ")";
    }
    capacity_ = end_;
  }
  for (Pending* p : batch) {
    p->error = why;
  }
  if (why.empty() && touch && touch_) {
    touch_(dirFd_);
  }
}

bool Journal::rotate(std::unordered_set<std::string>& keys, std::string& error) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !leading_ && !rotating_; });
  rotating_ = true;
  lock.unlock();
  bool ok = false;
  if (::renameat(dirFd_, kFile, dirFd_, kOldFile) != 0) {
    error = errnoText("rename journal");
  } else {
    const int fd = openActive(error);
    if (fd < 0) {
      ::renameat(dirFd_, kOldFile, dirFd_, kFile);  // keep appending to the old one
    } else {
      ::close(fd_);
      fd_ = fd;
      end_ = 0;
      capacity_ = 0;
      ok = true;
    }
  }
  lock.lock();
  if (ok) {
    keys.swap(keys_);
    keys_.clear();
    bytes_ = 0;
    entries_ = 0;
  }
  rotating_ = false;
  cv_.notify_all();
  return ok;
}

void Journal::retire() {
  // Not fsynced: the next rotation's directory fsync makes it durable, and replaying an old
  // journal again before that only rewrites records to states their files already hold.
  ::unlinkat(dirFd_, kOldFile, 0);
}

}  // namespace chipmunk::api
