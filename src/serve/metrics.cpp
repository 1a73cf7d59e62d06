#include "serve/metrics.h"


namespace edgeocr::serve {

void Metrics::observe(std::map<std::string, common::Histogram>& into, const std::string& label, double seconds) {
  static const std::vector<double> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  into.try_emplace(label, kBounds).first->second.observe(seconds);
}

void Metrics::count_request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  observe(request_seconds_, route, seconds);
}

void Metrics::observe_stage(const std::string& stage, double seconds) {
  std::lock_guard lock(mutex_);
  observe(stage_seconds_, stage, seconds);
}

std::string Metrics::render() const {
  common::PrometheusText out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : requests_)
      out.counter("edgeocr_http_requests_total", "HTTP requests by route and status.", static_cast<double>(n),
                  {{"route", key.first}, {"status", std::to_string(key.second)}});
    for (const auto& [route, h] : request_seconds_)
      out.histogram("edgeocr_http_request_duration_seconds", "Time from request read to response, by route.", h,
                    {{"route", route}});
    for (const auto& [stage, h] : stage_seconds_)
      out.histogram("edgeocr_stage_duration_seconds",
                    "OCR latency per stage (decode, det, cls, rec, post, total, queue_wait).", h, {{"stage", stage}});
  }
  if (gauges_)
    for (const auto& [name, help_value] : gauges_()) out.gauge(name, help_value.first, help_value.second);
  std::string text = out.str();
  for (const auto& source : expositions_) text += source();
  return text;
}

}  // namespace edgeocr::serve
