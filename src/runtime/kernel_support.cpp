#include "runtime/kernel_support.h"

#include <cstring>

#include <algorithm>
#include <set>
#include <sstream>

#include <omp.h>

#include "runtime/runtime.h"

namespace edgeocr::runtime::detail {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t k = 0; k < shape.size(); ++k) s << (k ? "," : "") << shape[k];
  s << "]";
  return s.str();
}

std::string NodeInfo::describe() const {
  return proto->op_type() + " node '" + proto->name() + "'";
}

namespace {
std::atomic<int64_t> g_primitive_cache_entries{0};
std::atomic<size_t> g_prepared_shapes_per_kernel{16};
}  // namespace

int64_t primitive_cache_entries() { return g_primitive_cache_entries.load(std::memory_order_relaxed); }
void count_primitive_cache_entries(int64_t delta) { g_primitive_cache_entries.fetch_add(delta, std::memory_order_relaxed); }
size_t prepared_shapes_per_kernel() { return g_prepared_shapes_per_kernel.load(std::memory_order_relaxed); }
void set_prepared_shapes_per_kernel(size_t shapes) {
  g_prepared_shapes_per_kernel.store(std::max<size_t>(1, shapes), std::memory_order_relaxed);
}

void fail(const std::string& what) { throw ModelError(what); }

Attrs::Attrs(const NodeInfo& node, std::initializer_list<const char*> allowed) : node_(node) {
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& a : node.proto->attribute())
    if (!ok.count(a.name())) fail(node.describe() + ": unsupported attribute '" + a.name() + "'");
}

const onnx::AttributeProto* Attrs::find(const std::string& name) const {
  for (const auto& a : node_.proto->attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t Attrs::i(const std::string& name, int64_t def) const {
  auto* a = find(name);
  return a ? a->i() : def;
}

float Attrs::f(const std::string& name, float def) const {
  auto* a = find(name);
  return a ? a->f() : def;
}

std::string Attrs::s(const std::string& name, const std::string& def) const {
  auto* a = find(name);
  return a ? a->s() : def;
}

std::vector<int64_t> Attrs::ints(const std::string& name, std::vector<int64_t> def) const {
  auto* a = find(name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

PackedWeights::PackedWeights(const dnnl::memory::desc& plain, const void* bytes) : plain_(plain, cpu_engine()) {
  std::memcpy(plain_.get_data_handle(), bytes, plain.get_size());
}

dnnl::memory PackedWeights::in_layout(const dnnl::memory::desc& chosen) const {
  std::lock_guard lock(mutex_);
  for (auto& [md, mem] : layouts_)
    if (md == chosen) return mem;
  dnnl::memory source = plain_ ? plain_ : layouts_.front().second;
  dnnl::memory weights = source;
  if (source.get_desc() != chosen) {
    weights = dnnl::memory(chosen, cpu_engine());
    dnnl::reorder(source, weights).execute(cpu_stream(), source, weights);
    cpu_stream().wait();
  }
  layouts_.emplace_back(chosen, weights);
  if (chosen.data.extra.flags == 0) plain_ = dnnl::memory();
  return weights;
}

dnnl::memory scratchpad_for(const dnnl::memory::desc& md) {
  thread_local std::vector<uint8_t> buffer;
  const size_t need = md.get_size();
  if (buffer.size() < need) buffer.resize(need);
  return dnnl::memory(md, cpu_engine(), buffer.data());
}

dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void alloc_float(Value& v, std::vector<int64_t> shape, ExecContext& ctx, bool nhwc) {
  v.shape = std::move(shape);
  v.dtype = DType::Float;
  v.nhwc = nhwc;
  v.f = ctx.acquire(static_cast<size_t>(v.numel()));
  v.i.clear();
}

void alloc_int(Value& v, std::vector<int64_t> shape) {
  v.shape = std::move(shape);
  v.dtype = DType::Int64;
  v.nhwc = false;
  v.i.assign(static_cast<size_t>(v.numel()), 0);
}

std::vector<int64_t> physical_shape(const Value& v) {
  if (v.nhwc) return {v.shape[0], v.shape[2], v.shape[3], v.shape[1]};
  return v.shape;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& where) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) fail(where + ": axis out of range");
  return axis;
}

const Value& require_const(const NodeInfo& n, size_t idx, const char* what) {
  if (idx >= n.constant_inputs.size() || !n.constant_inputs[idx])
    fail(n.describe() + ": input '" + what + "' must be a constant");
  return *n.constant_inputs[idx];
}

std::vector<int64_t> as_ints(const Value& v) {
  if (v.dtype == DType::Int64) return std::vector<int64_t>(v.i.begin(), v.i.begin() + v.numel());
  std::vector<int64_t> r;
  for (int64_t k = 0; k < v.numel(); ++k) r.push_back(static_cast<int64_t>(v.f[k]));
  return r;
}

std::vector<float> as_floats(const Value& v) {
  if (v.dtype == DType::Float) return std::vector<float>(v.f.begin(), v.f.begin() + v.numel());
  std::vector<float> r;
  for (int64_t k = 0; k < v.numel(); ++k) r.push_back(static_cast<float>(v.i[k]));
  return r;
}

// ---------------------------------------------------------------------------------------
// Layout conversion

namespace {

void permute_4d(const float* src, float* dst, int64_t n, int64_t a, int64_t b, int64_t c) {
  // src [n][a][b*c]... generic helper: src is N,C,HW -> dst N,HW,C (a=C, b=HW) when used for
  // nchw->nhwc, or N,HW,C -> N,C,HW (a=HW, b=C).
  (void)c;
  for (int64_t in = 0; in < n; ++in) {
    const float* s = src + in * a * b;
    float* d = dst + in * a * b;
#pragma omp parallel for if (a * b > kParallelThreshold)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t i = 0; i < a; ++i) d[j * a + i] = s[i * b + j];
  }
}

}  // namespace

namespace {
// Moves a 4-D float value between NCHW and NHWC (a no-op when it already has that layout).
void change_layout(Value& v, ExecContext& ctx, bool nhwc) {
  if (v.nhwc == nhwc || v.rank() != 4 || v.dtype != DType::Float) return;
  const int64_t n = v.shape[0], c = v.shape[1], hw = v.shape[2] * v.shape[3];
  if (c > 1 && hw > 1) {
    auto buf = ctx.acquire(static_cast<size_t>(v.numel()));
    // NCHW -> NHWC transposes [c, hw] per image; NHWC -> NCHW transposes [hw, c].
    permute_4d(v.f.data(), buf.data(), n, nhwc ? c : hw, nhwc ? hw : c, 0);
    v.f = std::move(buf);
  }
  v.nhwc = nhwc;
}
}  // namespace

void to_nhwc(Value& v, ExecContext& ctx) { change_layout(v, ctx, true); }
void to_nchw(Value& v, ExecContext& ctx) { change_layout(v, ctx, false); }

void set_kernel_threads(int threads) {
  omp_set_num_threads(std::max(1, threads));
}

}  // namespace edgeocr::runtime::detail
