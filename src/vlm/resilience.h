// Building blocks that keep a slow or dead VLM server from taking EdgeOCR down with it:
// a counting semaphore for in-flight requests, a circuit breaker, and backoff delays.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace edgeocr::vlm {

using Clock = std::chrono::steady_clock;

// Counting semaphore with a timed acquire (std::counting_semaphore has no runtime maximum).
class InflightLimiter {
 public:
  explicit InflightLimiter(int max_inflight);
  bool try_acquire_for(std::chrono::milliseconds wait);  // false on timeout
  void release();
  int in_flight() const { return read(in_flight_); }
  int peak() const { return read(peak_); }  // highest in_flight seen
  int capacity() const { return capacity_; }

  // RAII slot; empty when acquisition timed out.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(InflightLimiter* owner) : owner_(owner) {}
    Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
    Slot& operator=(Slot&& o) noexcept {
      if (this != &o) { reset(); owner_ = std::exchange(o.owner_, nullptr); }
      return *this;
    }
    ~Slot() { reset(); }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    void reset() { if (owner_) owner_->release(); owner_ = nullptr; }
    InflightLimiter* owner_ = nullptr;
  };
  Slot acquire_for(std::chrono::milliseconds wait) { return try_acquire_for(wait) ? Slot(this) : Slot(); }

 private:
  int read(const int& value) const {
    std::lock_guard lock(mutex_);
    return value;
  }

  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  int in_flight_ = 0;
  int peak_ = 0;
};

enum class BreakerState { closed, open, half_open };
std::string_view to_string(BreakerState state);

// Closed: requests flow; `failure_threshold` consecutive failures open it. Open: requests are
// refused until `cool_down` has passed, then one trial request is let through (half-open); its
// success closes the breaker, its failure opens it again for another cool-down.
class CircuitBreaker {
 public:
  using Now = std::function<Clock::time_point()>;
  CircuitBreaker(int failure_threshold, std::chrono::milliseconds cool_down, Now now = Clock::now);

  bool allow();            // may move open -> half_open and admit the one trial request
  void record_success();
  void record_failure();
  void abandon();          // the admitted request never reached the server: no verdict
  BreakerState state() const;     // open -> half_open transition is reported once cool-down is over
  std::chrono::milliseconds retry_in() const;  // rest of the cool-down while open, else 0
  int consecutive_failures() const;
  long long times_opened() const;

 private:
  const int threshold_;
  const std::chrono::milliseconds cool_down_;
  Now now_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::closed;
  int failures_ = 0;
  bool trial_in_flight_ = false;
  Clock::time_point opened_at_{};
  long long times_opened_ = 0;
};

// Exponential backoff with "equal jitter": half of min(cap, base * 2^attempt) fixed, half random.
// attempt counts from 0 (the delay before the first retry).
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                        std::mt19937& rng);

// Retry-After as delta-seconds ("3") or an HTTP-date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace edgeocr::vlm
