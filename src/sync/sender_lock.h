// One sender per data folder: the serve worker, `sync --watch` and `sync --once` each take an
// exclusive lock on <data_dir>/sync.lock before sending, so two of them never push the same
// batch twice. The kernel drops the lock when its holder exits, however it exits.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace edgeocr::sync {

class SenderLock {
 public:
  // The lock, or nullopt when another process (or another SenderLock here) holds it; then
  // `holder` (if given) describes that process. Throws std::runtime_error if the file cannot be
  // opened.
  static std::optional<SenderLock> try_acquire(const std::filesystem::path& data_dir, std::string* holder = nullptr);
  static std::filesystem::path file(const std::filesystem::path& data_dir);

  SenderLock(SenderLock&& other) noexcept;
  SenderLock& operator=(SenderLock&& other) noexcept;
  SenderLock(const SenderLock&) = delete;
  SenderLock& operator=(const SenderLock&) = delete;
  ~SenderLock();

 private:
  explicit SenderLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace edgeocr::sync
