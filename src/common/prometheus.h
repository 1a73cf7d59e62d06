// The Prometheus text exposition format (0.0.4), written in one place for serve, vlm and sync:
// a histogram type and a writer that emits each family's HELP and TYPE once, escapes label
// values and prints counts as integers. Each component keeps its own counters (under its own
// lock) and renders them through the writer at scrape time.
#pragma once

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgeocr::common {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i], cumulative as Prometheus wants them.
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, the last one above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

class PrometheusText {
 public:
  void counter(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void histogram(std::string_view name, std::string_view help, const Histogram& histogram, const Labels& labels = {});
  std::string str() const { return out_.str(); }

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const Labels& labels, double value);

  std::ostringstream out_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace edgeocr::common
