// VLM counters in Prometheus text format. The server's GET /metrics appends
// edgeocr::vlm::global_metrics().prometheus_text() to its own output.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/prometheus.h"

namespace edgeocr::vlm {

class VlmMetrics {
 public:
  // Latency histogram upper bounds in seconds (+Inf implied).
  static constexpr std::array<double, 10> kLatencyBuckets{0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120};

  // One logical request (retries included). outcome: ok | parse_error | error | unavailable | overloaded.
  void record_request(std::string_view task, std::string_view outcome, double seconds);
  // One failed attempt. kind: connection | timeout | http_429 | http_5xx | http_4xx | bad_response | breaker_open.
  void record_error(std::string_view kind);
  void record_retry();
  void add_tokens(int64_t prompt, int64_t completion);
  void set_in_flight(int value);
  void set_breaker_state(int state);  // 0 closed, 1 open, 2 half-open
  // Hybrid routing decision. reason: native | unsupported_instruction | translation | low_confidence | ...
  void record_route(std::string_view reason, bool vlm_used);

  uint64_t requests(std::string_view task, std::string_view outcome) const;
  uint64_t errors(std::string_view kind) const;
  uint64_t retries() const { return read(retries_); }
  int64_t prompt_tokens() const { return read(prompt_tokens_); }
  int64_t completion_tokens() const { return read(completion_tokens_); }

  std::string prometheus_text() const;
  void reset();  // tests

 private:
  template <typename T>
  T read(const T& counter) const {
    std::lock_guard lock(mutex_);
    return counter;
  }

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
  std::map<std::string, uint64_t> errors_;
  std::map<std::pair<std::string, bool>, uint64_t> routes_;
  common::Histogram latency_{{kLatencyBuckets.begin(), kLatencyBuckets.end()}};
  uint64_t retries_ = 0;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  int in_flight_ = 0;
  int breaker_state_ = 0;
};

// Process-wide instance used by the backend unless another is injected.
VlmMetrics& global_metrics();

}  // namespace edgeocr::vlm
