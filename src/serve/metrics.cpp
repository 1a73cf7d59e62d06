#include "serve/metrics.h"

#include <sstream>

namespace edgeocr::serve {

const std::vector<double>& Metrics::bounds() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}

void Metrics::observe(std::map<std::string, Histogram>& into, const std::string& label, double seconds) {
  Histogram& h = into[label];
  if (h.buckets.empty()) h.buckets.assign(bounds().size(), 0);
  for (size_t i = 0; i < bounds().size(); ++i)
    if (seconds <= bounds()[i]) ++h.buckets[i];
  h.sum += seconds;
  ++h.count;
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

namespace {
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string Metrics::render() const {
  std::ostringstream out;
  const auto histogram = [&](const std::string& name, const std::string& help, const std::string& label,
                             const std::map<std::string, Histogram>& hs) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " histogram\n";
    for (const auto& [value, h] : hs) {
      const std::string l = label + "=\"" + escape_label(value) + "\"";
      for (size_t i = 0; i < bounds().size(); ++i)
        out << name << "_bucket{" << l << ",le=\"" << bounds()[i] << "\"} " << h.buckets[i] << '\n';
      out << name << "_bucket{" << l << ",le=\"+Inf\"} " << h.count << '\n';
      out << name << "_sum{" << l << "} " << h.sum << '\n';
      out << name << "_count{" << l << "} " << h.count << '\n';
    }
  };
  {
    std::lock_guard lock(mutex_);
    out << "# HELP edgeocr_http_requests_total HTTP requests by route and status.\n"
           "# TYPE edgeocr_http_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      out << "edgeocr_http_requests_total{route=\"" << escape_label(key.first) << "\",status=\"" << key.second
          << "\"} " << n << '\n';
    histogram("edgeocr_http_request_duration_seconds", "Time from request read to response, by route.", "route",
              request_seconds_);
    histogram("edgeocr_stage_duration_seconds",
              "OCR latency per stage (decode, det, cls, rec, post, total, queue_wait).", "stage", stage_seconds_);
  }
  if (gauges_) {
    for (const auto& [name, help_value] : gauges_()) {
      out << "# HELP " << name << ' ' << help_value.first << "\n# TYPE " << name << " gauge\n"
          << name << ' ' << help_value.second << '\n';
    }
  }
  for (const auto& source : expositions_) out << source();
  return out.str();
}

}  // namespace edgeocr::serve
