#include "vlm/resilience.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

namespace edgeocr::vlm {

InflightLimiter::InflightLimiter(int max_inflight) : capacity_(std::max(1, max_inflight)) {}

bool InflightLimiter::try_acquire_for(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!released_.wait_for(lock, wait, [&] { return in_flight_ < capacity_; })) return false;
  ++in_flight_;
  peak_ = std::max(peak_, in_flight_);
  return true;
}

void InflightLimiter::release() {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
  }
  released_.notify_one();
}

std::string_view to_string(BreakerState state) {
  static constexpr std::string_view kNames[] = {"closed", "open", "half_open"};  // in enum order
  return kNames[static_cast<int>(state)];
}

CircuitBreaker::CircuitBreaker(int failure_threshold, std::chrono::milliseconds cool_down, Now now)
    : threshold_(std::max(1, failure_threshold)), cool_down_(cool_down), now_(std::move(now)) {}

bool CircuitBreaker::allow() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case BreakerState::closed:
      return true;
    case BreakerState::open:
      if (now_() - opened_at_ < cool_down_) return false;
      state_ = BreakerState::half_open;
      trial_in_flight_ = true;
      return true;
    case BreakerState::half_open:
      if (trial_in_flight_) return false;  // one probe at a time
      trial_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mutex_);
  failures_ = 0;
  trial_in_flight_ = false;
  state_ = BreakerState::closed;
}

void CircuitBreaker::record_failure() {
  std::lock_guard lock(mutex_);
  ++failures_;
  trial_in_flight_ = false;
  if (state_ == BreakerState::half_open || (state_ == BreakerState::closed && failures_ >= threshold_)) {
    state_ = BreakerState::open;
    opened_at_ = now_();
    ++times_opened_;
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::open && now_() - opened_at_ >= cool_down_) return BreakerState::half_open;
  return state_;
}

void CircuitBreaker::abandon() {
  std::lock_guard lock(mutex_);
  trial_in_flight_ = false;
}

std::chrono::milliseconds CircuitBreaker::retry_in() const {
  std::lock_guard lock(mutex_);
  if (state_ != BreakerState::open) return std::chrono::milliseconds(0);
  const auto left = cool_down_ - std::chrono::duration_cast<std::chrono::milliseconds>(now_() - opened_at_);
  return std::max(std::chrono::milliseconds(0), left);
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

long long CircuitBreaker::times_opened() const {
  std::lock_guard lock(mutex_);
  return times_opened_;
}

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                        std::mt19937& rng) {
  const long long exp = base.count() << std::clamp(attempt, 0, 20);
  const long long ceiling = std::min<long long>(cap.count(), exp);
  const long long half = ceiling / 2;
  std::uniform_int_distribution<long long> jitter(0, ceiling - half);
  return std::chrono::milliseconds(half + jitter(rng));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  std::istringstream in{std::string(value)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  const std::time_t when = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  return std::chrono::milliseconds(std::max<long long>(0, static_cast<long long>(when - now) * 1000));
}

}  // namespace edgeocr::vlm
