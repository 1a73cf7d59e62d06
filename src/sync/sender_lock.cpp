#include "sync/sender_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace edgeocr::sync {

std::filesystem::path SenderLock::file(const std::filesystem::path& data_dir) { return data_dir / "sync.lock"; }

std::optional<SenderLock> SenderLock::try_acquire(const std::filesystem::path& data_dir, std::string* holder) {
  const std::filesystem::path path = file(data_dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error != EWOULDBLOCK) throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(error));
    if (holder) {
      std::ifstream in(path);
      std::ostringstream text;
      text << in.rdbuf();
      std::string pid = text.str();
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      *holder = pid.empty() ? "another process" : "process " + pid;
    }
    return std::nullopt;
  }
  // The holder's pid, for the message the next one prints (informational only: the lock is flock).
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return SenderLock(fd);
}

SenderLock::SenderLock(SenderLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

SenderLock& SenderLock::operator=(SenderLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

SenderLock::~SenderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace edgeocr::sync
