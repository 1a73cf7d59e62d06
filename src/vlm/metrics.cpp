#include "vlm/metrics.h"


namespace edgeocr::vlm {

void VlmMetrics::record_request(std::string_view task, std::string_view outcome, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(task), std::string(outcome)}];
  latency_.observe(seconds);
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

std::string VlmMetrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  common::PrometheusText out;
  for (const auto& [key, n] : requests_)
    out.counter("edgeocr_vlm_requests_total", "VLM requests by task and outcome (retries included in one request).",
                static_cast<double>(n), {{"task", key.first}, {"outcome", key.second}});
  out.histogram("edgeocr_vlm_request_seconds", "VLM request latency, retries included.", latency_);
  for (const auto& [kind, n] : errors_)
    out.counter("edgeocr_vlm_errors_total", "Failed VLM attempts by kind.", static_cast<double>(n), {{"kind", kind}});
  out.counter("edgeocr_vlm_retries_total", "VLM attempts retried after 429/5xx/connection errors.",
              static_cast<double>(retries_));
  const char* tokens_help = "Tokens reported by the VLM server's usage field.";
  out.counter("edgeocr_vlm_tokens_total", tokens_help, static_cast<double>(prompt_tokens_), {{"type", "prompt"}});
  out.counter("edgeocr_vlm_tokens_total", tokens_help, static_cast<double>(completion_tokens_), {{"type", "completion"}});
  out.gauge("edgeocr_vlm_in_flight", "VLM requests in flight.", in_flight_);
  out.gauge("edgeocr_vlm_breaker_state", "Circuit breaker: 0 closed, 1 open, 2 half-open.", breaker_state_);
  for (const auto& [key, n] : routes_)
    out.counter("edgeocr_vlm_routes_total", "Hybrid routing decisions.", static_cast<double>(n),
                {{"reason", key.first}, {"vlm", key.second ? "true" : "false"}});
  return out.str();
}

void VlmMetrics::reset() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  errors_.clear();
  routes_.clear();
  latency_ = common::Histogram({kLatencyBuckets.begin(), kLatencyBuckets.end()});
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
