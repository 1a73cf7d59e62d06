// Prometheus metrics of the server (text exposition format 0.0.4).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/prometheus.h"

namespace edgeocr::serve {

class Metrics {
 public:
  void count_request(const std::string& route, int status, double seconds);
  // Per-stage latency in seconds: decode, det, cls, rec, post, total (engine), queue_wait.
  void observe_stage(const std::string& stage, double seconds);
  // Gauges read at scrape time (queue depth, records stored, ...), name -> (help, value).
  using GaugeSource = std::function<std::vector<std::pair<std::string, std::pair<std::string, double>>>()>;
  void set_gauge_source(GaugeSource source) { gauges_ = std::move(source); }
  // Extra exposition text appended to /metrics (e.g. the VLM client's or the sync worker's).
  void add_exposition(std::function<std::string()> source) { expositions_.push_back(std::move(source)); }
  std::string render() const;

 private:
  static void observe(std::map<std::string, common::Histogram>& into, const std::string& label, double seconds);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, common::Histogram> request_seconds_;  // by route
  std::map<std::string, common::Histogram> stage_seconds_;
  GaugeSource gauges_;
  std::vector<std::function<std::string()>> expositions_;
};

}  // namespace edgeocr::serve
