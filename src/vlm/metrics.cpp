#include "vlm/metrics.h"

#include <sstream>

namespace edgeocr::vlm {

void VlmMetrics::record_request(std::string_view task, std::string_view outcome, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(task), std::string(outcome)}];
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  ++latency_counts_[b];
  latency_sum_ += seconds;
  ++latency_count_;
}

void VlmMetrics::record_error(std::string_view kind) {
  std::lock_guard lock(mutex_);
  ++errors_[std::string(kind)];
}

void VlmMetrics::record_retry() {
  std::lock_guard lock(mutex_);
  ++retries_;
}

void VlmMetrics::add_tokens(int64_t prompt, int64_t completion) {
  std::lock_guard lock(mutex_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void VlmMetrics::set_in_flight(int value) {
  std::lock_guard lock(mutex_);
  in_flight_ = value;
}

void VlmMetrics::set_breaker_state(int state) {
  std::lock_guard lock(mutex_);
  breaker_state_ = state;
}

void VlmMetrics::record_route(std::string_view reason, bool vlm_used) {
  std::lock_guard lock(mutex_);
  ++routes_[{std::string(reason), vlm_used}];
}

uint64_t VlmMetrics::requests(std::string_view task, std::string_view outcome) const {
  std::lock_guard lock(mutex_);
  const auto it = requests_.find({std::string(task), std::string(outcome)});
  return it == requests_.end() ? 0 : it->second;
}

uint64_t VlmMetrics::errors(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  const auto it = errors_.find(std::string(kind));
  return it == errors_.end() ? 0 : it->second;
}

uint64_t VlmMetrics::retries() const {
  std::lock_guard lock(mutex_);
  return retries_;
}

int64_t VlmMetrics::prompt_tokens() const {
  std::lock_guard lock(mutex_);
  return prompt_tokens_;
}

int64_t VlmMetrics::completion_tokens() const {
  std::lock_guard lock(mutex_);
  return completion_tokens_;
}

std::string VlmMetrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP edgeocr_vlm_requests_total VLM requests by task and outcome (retries included in one request).\n"
         "# TYPE edgeocr_vlm_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "edgeocr_vlm_requests_total{task=\"" << key.first << "\",outcome=\"" << key.second << "\"} " << n << "\n";
  }
  out << "# HELP edgeocr_vlm_request_seconds VLM request latency, retries included.\n"
         "# TYPE edgeocr_vlm_request_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kLatencyBuckets.size(); ++b) {
    cumulative += latency_counts_[b];
    out << "edgeocr_vlm_request_seconds_bucket{le=\"" << kLatencyBuckets[b] << "\"} " << cumulative << "\n";
  }
  cumulative += latency_counts_.back();
  out << "edgeocr_vlm_request_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "edgeocr_vlm_request_seconds_sum " << latency_sum_ << "\n"
      << "edgeocr_vlm_request_seconds_count " << latency_count_ << "\n";
  out << "# HELP edgeocr_vlm_errors_total Failed VLM attempts by kind.\n# TYPE edgeocr_vlm_errors_total counter\n";
  for (const auto& [kind, n] : errors_) out << "edgeocr_vlm_errors_total{kind=\"" << kind << "\"} " << n << "\n";
  out << "# HELP edgeocr_vlm_retries_total VLM attempts retried after 429/5xx/connection errors.\n"
         "# TYPE edgeocr_vlm_retries_total counter\nedgeocr_vlm_retries_total "
      << retries_ << "\n";
  out << "# HELP edgeocr_vlm_tokens_total Tokens reported by the VLM server's usage field.\n"
         "# TYPE edgeocr_vlm_tokens_total counter\n"
      << "edgeocr_vlm_tokens_total{type=\"prompt\"} " << prompt_tokens_ << "\n"
      << "edgeocr_vlm_tokens_total{type=\"completion\"} " << completion_tokens_ << "\n";
  out << "# HELP edgeocr_vlm_in_flight VLM requests in flight.\n# TYPE edgeocr_vlm_in_flight gauge\n"
      << "edgeocr_vlm_in_flight " << in_flight_ << "\n";
  out << "# HELP edgeocr_vlm_breaker_state Circuit breaker: 0 closed, 1 open, 2 half-open.\n"
         "# TYPE edgeocr_vlm_breaker_state gauge\nedgeocr_vlm_breaker_state "
      << breaker_state_ << "\n";
  out << "# HELP edgeocr_vlm_routes_total Hybrid routing decisions.\n# TYPE edgeocr_vlm_routes_total counter\n";
  for (const auto& [key, n] : routes_) {
    out << "edgeocr_vlm_routes_total{reason=\"" << key.first << "\",vlm=\"" << (key.second ? "true" : "false")
        << "\"} " << n << "\n";
  }
  return out.str();
}

void VlmMetrics::reset() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  errors_.clear();
  routes_.clear();
  latency_counts_ = {};
  latency_sum_ = 0;
  latency_count_ = 0;
  retries_ = 0;
  prompt_tokens_ = completion_tokens_ = 0;
  in_flight_ = 0;
  breaker_state_ = 0;
}

VlmMetrics& global_metrics() {
  static VlmMetrics metrics;
  return metrics;
}

}  // namespace edgeocr::vlm
