#include "runtime/int8_table.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/sha256.h"

namespace edgeocr::runtime {
namespace {

constexpr const char* kHeader =
    "# EdgeOCR int8 table: convolution inputs by tensor name, then the mean over calibration runs of each run's "
    "min and max";

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ModelError("cannot open " + file.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

void ValueRange::add(float lo, float hi) {
  min = seen() ? std::min(min, lo) : lo;
  max = seen() ? std::max(max, hi) : hi;
  mean_min = (mean_min * runs + lo) / (runs + 1);
  mean_max = (mean_max * runs + hi) / (runs + 1);
  ++runs;
}

void save_int8_table(const std::filesystem::path& onnx_file, const ValueRanges& ranges,
                     const std::filesystem::path& table_file) {
  const std::string sha = common::sha256_hex(read_file(onnx_file));
  std::ofstream out(table_file, std::ios::binary | std::ios::trunc);
  if (!out) throw ModelError("cannot write " + table_file.string());
  out << kHeader << "\nmodel-sha256\t" << sha << "\n";
  out.precision(9);
  for (const auto& [name, range] : ranges)
    if (range.seen()) out << name << '\t' << range.mean_min << '\t' << range.mean_max << '\n';
  if (!out.flush()) throw ModelError("cannot write " + table_file.string());
}

namespace detail {

Int8Table read_int8_table(const std::filesystem::path& file) {
  std::istringstream in(read_file(file));
  Int8Table table;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto bad = [&] { return ModelError(file.string() + " line " + std::to_string(number) + ": expected NAME<TAB>MIN<TAB>MAX"); };
    const auto tab = line.find('\t');
    if (tab == std::string::npos) throw bad();
    const std::string key = line.substr(0, tab);
    if (key == "model-sha256") {
      table.model_sha256 = line.substr(tab + 1);
      continue;
    }
    std::istringstream values(line.substr(tab + 1));
    float lo = 0, hi = 0;
    if (!(values >> lo >> hi) || !std::isfinite(lo) || !std::isfinite(hi) || lo > hi) throw bad();
    table.ranges[key].add(lo, hi);
  }
  if (table.model_sha256.size() != 64) throw ModelError(file.string() + ": no model-sha256 line");
  return table;
}

std::optional<Int8Input> int8_input_for(const ValueRange& range, bool padded) {
  const float amax = std::max(std::fabs(range.min), std::fabs(range.max));
  if (!range.seen() || !(amax > 0)) return std::nullopt;
  if (range.min >= 0) return Int8Input{255.f / range.max, true, 0};
  if (padded) return Int8Input{127.f / amax, false, 0};
  const float hi = std::max(range.max, 0.f), scale = 255.f / (hi - range.min);
  return Int8Input{scale, true, static_cast<int>(std::clamp(std::lround(-range.min * scale), 0L, 255L))};
}

bool cpu_has_int8_dot_product() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  constexpr unsigned kVnniBits = (dnnl_cpu_isa_avx512_core_vnni & ~dnnl_cpu_isa_avx512_core) |
                                 (dnnl_cpu_isa_avx2_vnni & ~dnnl_cpu_isa_avx2);
  return (isa & kVnniBits) != 0;
}

}  // namespace detail
}  // namespace edgeocr::runtime
