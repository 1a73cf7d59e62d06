// Helpers shared by the kernel families: attribute access, output allocation, oneDNN engine,
// stream and scratchpad, the bounded primitive cache, vectorizable exp/erf.
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/kernel.h"

namespace edgeocr::runtime::detail {

inline constexpr int64_t kParallelThreshold = 1 << 15;

[[noreturn]] void fail(const std::string& what);

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();  // one per thread
// One scratchpad per thread shared by every primitive (user scratchpad mode). Left to oneDNN,
// each cached primitive would own its own, and memory would grow with every input shape.
dnnl::memory scratchpad_for(const dnnl::memory::desc& md);
dnnl::primitive_attr user_scratchpad_attr();

// A layer's constant weights in the layouts its primitives chose, reordered once per distinct
// layout; thread-safe. Only one copy is kept where one layout serves every shape: the plain
// weights go once the first layout exists, and later layouts are reordered from that one (a
// layout with compensation data, for signed 8-bit inputs, cannot be a reorder source: then the
// plain weights stay).
class PackedWeights {
 public:
  // A copy of `bytes` laid out as `plain` (a plain format such as oihw or ab).
  PackedWeights(const dnnl::memory::desc& plain, const void* bytes);
  dnnl::memory in_layout(const dnnl::memory::desc& chosen) const;

 private:
  mutable std::mutex mutex_;
  mutable dnnl::memory plain_;
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> layouts_;
};

// Validated access to a node's attributes.
class Attrs {
 public:
  Attrs(const NodeInfo& node, std::initializer_list<const char*> allowed);
  const onnx::AttributeProto* find(const std::string& name) const;
  int64_t i(const std::string& name, int64_t def) const;
  float f(const std::string& name, float def) const;
  std::string s(const std::string& name, const std::string& def) const;
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> def) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }

 private:
  const NodeInfo& node_;
};

void alloc_float(Value& v, std::vector<int64_t> shape, ExecContext& ctx, bool nhwc = false);
void alloc_int(Value& v, std::vector<int64_t> shape);
std::vector<int64_t> physical_shape(const Value& v);
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& where);
const Value& require_const(const NodeInfo& n, size_t idx, const char* what);
std::vector<int64_t> as_ints(const Value& v);
std::vector<float> as_floats(const Value& v);

// Total entries in every kernel's primitive cache (for metrics).
int64_t primitive_cache_entries();
void count_primitive_cache_entries(int64_t delta);
// Entries each kernel keeps (least recently used dropped first; 16 unless set, see
// runtime::set_prepared_shapes_per_kernel). oneDNN's own primitive cache keeps the JIT code of
// recently used shapes, so a small cap costs little recompilation.
size_t prepared_shapes_per_kernel();
void set_prepared_shapes_per_kernel(size_t shapes);

// Prepared oneDNN primitives of one kernel by input shape, shared by every thread that runs the
// model. get() is thread-safe; entries are handed out as shared pointers, so one evicted while
// another thread executes it stays alive until that run ends.
template <class Key, class Entry>
class PrimitiveCache {
 public:
  PrimitiveCache() = default;
  PrimitiveCache(const PrimitiveCache&) = delete;
  PrimitiveCache& operator=(const PrimitiveCache&) = delete;
  ~PrimitiveCache() { count_primitive_cache_entries(-static_cast<int64_t>(lru_.size())); }

  std::shared_ptr<const Entry> get(const Key& key, const std::function<Entry()>& make) const {
    {
      std::lock_guard lock(mutex_);
      auto it = index_.find(key);
      if (it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
      }
    }
    // Created outside the lock: other threads keep running cached shapes meanwhile.
    auto made = std::make_shared<const Entry>(make());
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second->second;  // another thread made it first
    lru_.emplace_front(key, made);
    index_.emplace(key, lru_.begin());
    count_primitive_cache_entries(1);
    while (lru_.size() > prepared_shapes_per_kernel()) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
      count_primitive_cache_entries(-1);
    }
    return made;
  }

 private:
  using Item = std::pair<Key, std::shared_ptr<const Entry>>;
  mutable std::mutex mutex_;
  mutable std::list<Item> lru_;
  mutable std::map<Key, typename std::list<Item>::iterator> index_;
};

// exp for softmax/sigmoid: libm's expf does not vectorize; this branch-free form does (SSE2 and
// up) and is within 2 ulp of expf over the range used (x clamped to [-87, 88]).
inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : x;  // ternaries, not std::clamp: they if-convert, so loops vectorize
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504088896341f;  // x / ln 2
  constexpr float kRound = 12582912.0f;      // 1.5 * 2^23: adding it rounds to an integer
  const float r = (t + kRound) - kRound;
  // exp(x) = 2^r * exp(f), f = x - r ln 2 in [-0.35, 0.35], ln 2 split for precision.
  const float f = (x - r * 0.693145751953125f) - r * 1.42860682030941723212e-6f;
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * f * f + f + 1.0f;
  const int32_t scale = (static_cast<int32_t>(r) + 127) << 23;
  return p * std::bit_cast<float>(scale);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 2e-7), branch-free so loops vectorize.
inline float fast_erf(float x) {
  const float a = std::fabs(x);
  const float t = 1.f / (1.f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float r = 1.f - p * t * fast_exp(-a * a);
  return std::copysign(r, x);
}

}  // namespace edgeocr::runtime::detail
