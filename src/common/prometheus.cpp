#include "common/prometheus.h"

#include <charconv>
#include <cmath>

namespace edgeocr::common {
namespace {

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  // Counts print as integers: the default stream format would write 1e+06.
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(static_cast<int64_t>(value));
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void Histogram::observe(double value) {
  size_t b = 0;
  while (b < bounds_.size() && value > bounds_[b]) ++b;
  ++counts_[b];
  sum_ += value;
  ++count_;
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) out[i] = running += counts_[i];
  return out;
}

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type) {
  if (!families_.emplace(name).second) return;
  out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  out_ << name;
  if (!labels.empty()) {
    out_ << '{';
    for (size_t i = 0; i < labels.size(); ++i)
      out_ << (i ? "," : "") << labels[i].first << "=\"" << escape_label(labels[i].second) << '"';
    out_ << '}';
  }
  out_ << ' ' << number(value) << '\n';
}

void PrometheusText::counter(std::string_view name, std::string_view help, double value, const Labels& labels) {
  family(name, help, "counter");
  sample(name, labels, value);
}

void PrometheusText::gauge(std::string_view name, std::string_view help, double value, const Labels& labels) {
  family(name, help, "gauge");
  sample(name, labels, value);
}

void PrometheusText::histogram(std::string_view name, std::string_view help, const Histogram& h, const Labels& labels) {
  family(name, help, "histogram");
  const std::string base(name);
  const auto cumulative = h.cumulative();
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back("le", number(h.bounds()[i]));
    sample(base + "_bucket", with_le, static_cast<double>(cumulative[i]));
  }
  Labels with_inf = labels;
  with_inf.emplace_back("le", "+Inf");
  sample(base + "_bucket", with_inf, static_cast<double>(h.count()));
  sample(base + "_sum", labels, h.sum());
  sample(base + "_count", labels, static_cast<double>(h.count()));
}

}  // namespace edgeocr::common
