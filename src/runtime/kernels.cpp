// CPU kernels: convolutions, deconvolutions, pooling and matmul through oneDNN; elementwise,
// shape and data-movement ops as plain loops (OpenMP-parallel where the tensors are large).
#include "runtime/kernels.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

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
// Prepared primitives kept per kernel, by input shape. oneDNN's own primitive cache keeps the
// JIT code of recently used shapes, so a small cap here costs no recompilation but bounds memory.
constexpr size_t kCacheCap = 32;

constexpr int64_t kParallelThreshold = 1 << 15;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

[[noreturn]] void fail(const std::string& what) { throw ModelError(what); }

// One scratchpad per thread shared by every primitive (user scratchpad mode). Left to oneDNN,
// each cached primitive would own its own, and memory would grow with every input shape.
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

// Validated access to a node's attributes.
class Attrs {
 public:
  Attrs(const NodeInfo& node, std::initializer_list<const char*> allowed) : node_(node) {
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (const auto& a : node.proto->attribute()) {
      if (!ok.count(a.name())) fail(node.describe() + ": unsupported attribute '" + a.name() + "'");
    }
  }
  const onnx::AttributeProto* find(const std::string& name) const {
    for (const auto& a : node_.proto->attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t i(const std::string& name, int64_t def) const {
    auto* a = find(name);
    return a ? a->i() : def;
  }
  float f(const std::string& name, float def) const {
    auto* a = find(name);
    return a ? a->f() : def;
  }
  std::string s(const std::string& name, const std::string& def) const {
    auto* a = find(name);
    return a ? a->s() : def;
  }
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> def) const {
    auto* a = find(name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }

 private:
  const NodeInfo& node_;
};

void alloc_float(Value& v, std::vector<int64_t> shape, ExecContext& ctx, bool nhwc = false) {
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

void to_nhwc(Value& v, ExecContext& ctx) {
  if (v.nhwc || v.rank() != 4 || v.dtype != DType::Float) return;
  const int64_t n = v.shape[0], c = v.shape[1], hw = v.shape[2] * v.shape[3];
  if (c > 1 && hw > 1) {
    auto buf = ctx.acquire(static_cast<size_t>(v.numel()));
    permute_4d(v.f.data(), buf.data(), n, c, hw, 0);
    ctx.release(std::move(v.f));
    v.f = std::move(buf);
  }
  v.nhwc = true;
}

void to_nchw(Value& v, ExecContext& ctx) {
  if (!v.nhwc) return;
  const int64_t n = v.shape[0], c = v.shape[1], hw = v.shape[2] * v.shape[3];
  if (c > 1 && hw > 1) {
    auto buf = ctx.acquire(static_cast<size_t>(v.numel()));
    permute_4d(v.f.data(), buf.data(), n, hw, c, 0);
    ctx.release(std::move(v.f));
    v.f = std::move(buf);
  }
  v.nhwc = false;
}

void set_kernel_threads(int threads) {
  omp_set_num_threads(std::max(1, threads));
}

namespace {

// ---------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------
// Elementwise

enum class UnaryOp { Relu, Sigmoid, HardSigmoid, HardSwish, Erf, Gelu, Clip, Sqrt, Identity, Abs, Neg, Exp, Tanh };

class UnaryKernel : public Kernel {
 public:
  UnaryKernel(UnaryOp op, float a = 0, float b = 0) : op_(op), a_(a), b_(b) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    if (x.dtype != DType::Float) {
      if (op_ != UnaryOp::Identity) fail("elementwise op on a non-float tensor");
      *out[0] = x;
      return;
    }
    alloc_float(*out[0], x.shape, ctx, x.nhwc);
    const float* s = x.f.data();
    float* d = out[0]->f.data();
    const int64_t n = x.numel();
    const float a = a_, b = b_;
    switch (op_) {
      case UnaryOp::Relu:
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = s[k] > 0 ? s[k] : 0;
        break;
      case UnaryOp::Sigmoid:
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = 1.f / (1.f + fast_exp(-s[k]));
        break;
      case UnaryOp::HardSigmoid:
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = std::clamp(a * s[k] + b, 0.f, 1.f);
        break;
      case UnaryOp::HardSwish:  // x * clip(x/6 + 1/2, 0, 1)
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = s[k] * std::clamp(s[k] * (1.f / 6.f) + 0.5f, 0.f, 1.f);
        break;
      case UnaryOp::Erf:
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = fast_erf(s[k]);
        break;
      case UnaryOp::Gelu:  // x/2 * (1 + erf(x / sqrt 2))
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = 0.5f * s[k] * (1.f + fast_erf(s[k] * 0.70710678118654752f));
        break;
      case UnaryOp::Clip:
#pragma omp parallel for simd if (n > kParallelThreshold)
        for (int64_t k = 0; k < n; ++k) d[k] = std::clamp(s[k], a, b);
        break;
      case UnaryOp::Sqrt:
        for (int64_t k = 0; k < n; ++k) d[k] = std::sqrt(s[k]);
        break;
      case UnaryOp::Identity:
        std::memcpy(d, s, sizeof(float) * n);
        break;
      case UnaryOp::Abs:
        for (int64_t k = 0; k < n; ++k) d[k] = std::fabs(s[k]);
        break;
      case UnaryOp::Neg:
        for (int64_t k = 0; k < n; ++k) d[k] = -s[k];
        break;
      case UnaryOp::Exp:
        for (int64_t k = 0; k < n; ++k) d[k] = std::exp(s[k]);
        break;
      case UnaryOp::Tanh:
        for (int64_t k = 0; k < n; ++k) d[k] = std::tanh(s[k]);
        break;
    }
  }

 private:
  UnaryOp op_;
  float a_, b_;
};

enum class BinaryOp { Add, Sub, Mul, Div, Pow };

template <class T>
T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return b == T(0) && std::is_integral_v<T> ? T(0) : a / b;
    case BinaryOp::Pow: return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
  return a;
}

std::vector<int64_t> broadcast_shape(std::vector<int64_t> a, std::vector<int64_t> b) {
  const size_t r = std::max(a.size(), b.size());
  a.insert(a.begin(), r - a.size(), 1);
  b.insert(b.begin(), r - b.size(), 1);
  std::vector<int64_t> out(r);
  for (size_t k = 0; k < r; ++k) {
    if (a[k] == b[k] || b[k] == 1) out[k] = a[k];
    else if (a[k] == 1) out[k] = b[k];
    else fail("cannot broadcast shapes " + shape_str(a) + " and " + shape_str(b));
  }
  return out;
}

// Broadcasting loop over `out_shape`; the innermost dimension is a tight loop.
template <class T, class F>
void broadcast_loop(const std::vector<int64_t>& out_shape, const T* a, std::vector<int64_t> ashape,
                    const T* b, std::vector<int64_t> bshape, T* out, F f) {
  const size_t r = out_shape.size();
  ashape.insert(ashape.begin(), r - ashape.size(), 1);
  bshape.insert(bshape.begin(), r - bshape.size(), 1);
  std::vector<int64_t> sa(r), sb(r);
  int64_t ta = 1, tb = 1;
  for (size_t k = r; k-- > 0;) {
    sa[k] = ashape[k] == 1 ? 0 : ta;
    sb[k] = bshape[k] == 1 ? 0 : tb;
    ta *= ashape[k];
    tb *= bshape[k];
  }
  const int64_t inner = r ? out_shape[r - 1] : 1;
  const int64_t ia = r ? sa[r - 1] : 0, ib = r ? sb[r - 1] : 0;
  int64_t outer = 1;
  for (size_t k = 0; k + 1 < r; ++k) outer *= out_shape[k];
#pragma omp parallel for if (outer * inner > kParallelThreshold)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t rem = o, offa = 0, offb = 0;
    for (size_t k = r - 1; k-- > 0;) {
      const int64_t idx = rem % out_shape[k];
      rem /= out_shape[k];
      offa += idx * sa[k];
      offb += idx * sb[k];
    }
    const T* pa = a + offa;
    const T* pb = b + offb;
    T* po = out + o * inner;
    if (ia && ib) {
      for (int64_t k = 0; k < inner; ++k) po[k] = f(pa[k], pb[k]);
    } else if (ia) {
      const T vb = pb[0];
      for (int64_t k = 0; k < inner; ++k) po[k] = f(pa[k], vb);
    } else if (ib) {
      const T va = pa[0];
      for (int64_t k = 0; k < inner; ++k) po[k] = f(va, pb[k]);
    } else {
      const T v = f(pa[0], pb[0]);
      for (int64_t k = 0; k < inner; ++k) po[k] = v;
    }
  }
}

// Shape of `v` seen in NHWC order, if its memory can be read that way without moving data.
bool nhwc_compatible_shape(const Value& v, std::vector<int64_t>& phys) {
  if (v.nhwc) {
    phys = physical_shape(v);
    return true;
  }
  std::vector<int64_t> s = v.shape;
  if (s.size() > 4) return false;
  s.insert(s.begin(), 4 - s.size(), 1);
  if (s[1] != 1 && s[2] * s[3] != 1) return false;
  phys = {s[0], s[2], s[3], s[1]};
  return true;
}

class BinaryKernel : public Kernel {
 public:
  explicit BinaryKernel(BinaryOp op) : op_(op) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value* a = in[0];
    const Value* b = in[1];
    Value& y = *out[0];
    const auto logical = broadcast_shape(a->shape, b->shape);
    if (a->dtype == DType::Int64 && b->dtype == DType::Int64) {
      alloc_int(y, logical);
      const BinaryOp op = op_;
      broadcast_loop<int64_t>(logical, a->i.data(), a->shape, b->i.data(), b->shape, y.i.data(),
                              [op](int64_t p, int64_t q) { return apply_binary(op, p, q); });
      return;
    }
    Value fa, fb;  // float copies of int operands (rare: mixed types)
    if (a->dtype != DType::Float) { fa.shape = a->shape; fa.f = as_floats(*a); a = &fa; }
    if (b->dtype != DType::Float) { fb.shape = b->shape; fb.f = as_floats(*b); b = &fb; }

    std::vector<int64_t> pa, pb;
    Value ta, tb;  // NHWC copies when an operand cannot be viewed as NHWC
    bool nhwc = (a->nhwc || b->nhwc) && logical.size() == 4;
    if (nhwc) {
      if (!nhwc_compatible_shape(*a, pa)) { ta = *a; to_nhwc(ta, ctx); a = &ta; pa = physical_shape(ta); }
      if (!nhwc_compatible_shape(*b, pb)) { tb = *b; to_nhwc(tb, ctx); b = &tb; pb = physical_shape(tb); }
    } else {
      if (a->nhwc) { ta = *a; to_nchw(ta, ctx); a = &ta; }
      if (b->nhwc) { tb = *b; to_nchw(tb, ctx); b = &tb; }
      pa = a->shape;
      pb = b->shape;
    }
    const auto phys = nhwc ? std::vector<int64_t>{logical[0], logical[2], logical[3], logical[1]} : logical;
    alloc_float(y, logical, ctx, nhwc);
    const float* da = a->f.data();
    const float* db = b->f.data();
    float* dy = y.f.data();
    switch (op_) {
      case BinaryOp::Add: broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float q) { return p + q; }); break;
      case BinaryOp::Sub: broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float q) { return p - q; }); break;
      case BinaryOp::Mul: broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float q) { return p * q; }); break;
      case BinaryOp::Div: broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float q) { return p / q; }); break;
      case BinaryOp::Pow:
        if (b->numel() == 1 && b->f[0] == 2.f)
          broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float) { return p * p; });
        else
          broadcast_loop<float>(phys, da, pa, db, pb, dy, [](float p, float q) { return std::pow(p, q); });
        break;
    }
    if (ta.f.size()) ctx.release(std::move(ta.f));
    if (tb.f.size()) ctx.release(std::move(tb.f));
  }

 private:
  BinaryOp op_;
};

// BatchNormalization in inference mode as a per-channel affine map.
class BatchNormKernel : public Kernel {
 public:
  BatchNormKernel(std::vector<float> scale, std::vector<float> shift)
      : scale_(std::move(scale)), shift_(std::move(shift)) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    if (x.rank() < 2 || x.shape[1] != static_cast<int64_t>(scale_.size()))
      fail("BatchNormalization: input " + shape_str(x.shape) + " does not match " + std::to_string(scale_.size()) + " channels");
    alloc_float(*out[0], x.shape, ctx, x.nhwc);
    const int64_t c = x.shape[1];
    const int64_t n = x.shape[0];
    int64_t inner = 1;
    for (int k = 2; k < x.rank(); ++k) inner *= x.shape[k];
    const float* s = x.f.data();
    float* d = out[0]->f.data();
    if (x.nhwc) {
      const int64_t pixels = n * inner;
#pragma omp parallel for if (pixels * c > kParallelThreshold)
      for (int64_t p = 0; p < pixels; ++p)
        for (int64_t ch = 0; ch < c; ++ch) d[p * c + ch] = s[p * c + ch] * scale_[ch] + shift_[ch];
    } else {
      for (int64_t b = 0; b < n; ++b)
        for (int64_t ch = 0; ch < c; ++ch) {
          const float* ps = s + (b * c + ch) * inner;
          float* pd = d + (b * c + ch) * inner;
          for (int64_t k = 0; k < inner; ++k) pd[k] = ps[k] * scale_[ch] + shift_[ch];
        }
    }
  }

 private:
  std::vector<float> scale_, shift_;
};

std::unique_ptr<Kernel> make_batchnorm(const NodeInfo& n) {
  Attrs attrs(n, {"epsilon", "momentum", "spatial"});
  if (attrs.i("spatial", 1) != 1) fail(n.describe() + ": only spatial=1 is supported");
  const float eps = attrs.f("epsilon", 1e-5f);
  auto g = as_floats(require_const(n, 1, "scale"));
  auto b = as_floats(require_const(n, 2, "B"));
  auto m = as_floats(require_const(n, 3, "mean"));
  auto v = as_floats(require_const(n, 4, "var"));
  std::vector<float> scale(g.size()), shift(g.size());
  for (size_t k = 0; k < g.size(); ++k) {
    scale[k] = g[k] / std::sqrt(v[k] + eps);
    shift[k] = b[k] - m[k] * scale[k];
  }
  return std::make_unique<BatchNormKernel>(std::move(scale), std::move(shift));
}

// ---------------------------------------------------------------------------------------
// oneDNN convolution (NHWC activations, weights reordered once per chosen layout)


class ConvKernel : public Kernel {
 public:
  explicit ConvKernel(ConvSpec spec) : spec_(std::move(spec)) {
    const auto& ws = spec_.weight_shape;
    co_ = ws[0];
    ci_ = ws[1] * spec_.group;
    kh_ = ws[2];
    kw_ = ws[3];
    if (spec_.bias.empty()) spec_.bias.assign(static_cast<size_t>(co_), 0.f);
    for (const auto& p : spec_.post_ops) {
      if (p.kind != PostOp::Kind::Eltwise) {
        // Per-channel operand memory for binary post-ops, [1,Co,1,1].
        channel_mems_.emplace_back(dnnl::memory::desc({1, co_, 1, 1}, dnnl::memory::data_type::f32,
                                                      dnnl::memory::format_tag::nchw),
                                   cpu_engine(), const_cast<float*>(p.channel.data()));
      }
    }
    user_bias_ = dnnl::memory({{co_}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x}, cpu_engine(),
                              spec_.bias.data());
  }
  bool accepts_nhwc() const override { return true; }

  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4) fail(spec_.name + ": Conv expects a 4-D input, got " + shape_str(x->shape));
    if (x->shape[1] != ci_)
      fail(spec_.name + ": input has " + std::to_string(x->shape[1]) + " channels, weights expect " + std::to_string(ci_));
    if (!x->nhwc) {
      tmp = *x;
      to_nhwc(tmp, ctx);
      x = &tmp;
    }
    const int64_t n = x->shape[0], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h + spec_.pads[0] + spec_.pads[2] - ((kh_ - 1) * spec_.dilations[0] + 1)) / spec_.strides[0] + 1;
    const int64_t wo = (w + spec_.pads[1] + spec_.pads[3] - ((kw_ - 1) * spec_.dilations[1] + 1)) / spec_.strides[1] + 1;
    if (ho <= 0 || wo <= 0) fail(spec_.name + ": input " + shape_str(x->shape) + " too small for the kernel");
    Prepared& p = prepare(n, h, w, ho, wo);
    Value& y = *out[0];
    std::vector<float> conv_out;  // pre-shuffle result when this is a rewritten deconvolution
    const int64_t s = spec_.shuffle;
    if (s > 1) {
      conv_out = ctx.acquire(static_cast<size_t>(n * ho * wo * co_));
      alloc_float(y, {n, co_ / (s * s), ho * s, wo * s}, ctx, true);
    } else {
      alloc_float(y, {n, co_, ho, wo}, ctx, true);
    }
    dnnl::memory src(p.src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    dnnl::memory dst(p.dst_md, cpu_engine(), s > 1 ? conv_out.data() : y.f.data());
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights},
                                               {DNNL_ARG_BIAS, user_bias_}, {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, scratchpad_for(p.scratchpad_md)}};
    size_t m = 0;
    for (size_t k = 0; k < spec_.post_ops.size(); ++k)
      if (spec_.post_ops[k].kind != PostOp::Kind::Eltwise)
        args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(static_cast<int>(k)) | DNNL_ARG_SRC_1] = channel_mems_[m++];
    p.primitive.execute(cpu_stream(), args);
    cpu_stream().wait();
    if (s > 1) {
      // Pixel shuffle: [n,i,j,(a*s+b)*C+c] -> [n, i*s+a, j*s+b, c], C contiguous floats each.
      const int64_t c = co_ / (s * s), wout = wo * s;
      float* d = y.f.data();
      const float* src_data = conv_out.data();
#pragma omp parallel for if (n * ho * wo * co_ > kParallelThreshold)
      for (int64_t ni = 0; ni < n * ho; ++ni)
        for (int64_t j = 0; j < wo; ++j)
          for (int64_t a = 0; a < s; ++a)
            for (int64_t b = 0; b < s; ++b)
              std::memcpy(d + ((ni * s + a) * wout + j * s + b) * c, src_data + ((ni * wo + j) * s * s + a * s + b) * c,
                          sizeof(float) * c);
      ctx.release(std::move(conv_out));
    }
    if (tmp.f.size()) ctx.release(std::move(tmp.f));
  }

 private:
  struct Prepared {
    dnnl::convolution_forward primitive;
    dnnl::memory::desc src_md, dst_md;
    dnnl::memory weights;
    dnnl::memory::desc scratchpad_md;
  };

  Prepared& prepare(int64_t n, int64_t h, int64_t w, int64_t ho, int64_t wo) {
    const std::array<int64_t, 3> key{n, h, w};
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    if (cache_.size() > kCacheCap) cache_.clear();  // bound memory for many distinct input sizes
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    dnnl::memory::desc src_md({n, ci_, h, w}, dt::f32, tag::nhwc);
    dnnl::memory::desc dst_md({n, co_, ho, wo}, dt::f32, tag::nhwc);
    dnnl::memory::dims wdims = spec_.group > 1
                                   ? dnnl::memory::dims{spec_.group, co_ / spec_.group, ci_ / spec_.group, kh_, kw_}
                                   : dnnl::memory::dims{co_, ci_, kh_, kw_};
    dnnl::memory::desc w_any(wdims, dt::f32, tag::any);
    dnnl::memory::desc b_md({co_}, dt::f32, tag::x);
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_any, b_md, dst_md,
        {spec_.strides[0], spec_.strides[1]}, {spec_.dilations[0] - 1, spec_.dilations[1] - 1},
        {spec_.pads[0], spec_.pads[1]}, {spec_.pads[2], spec_.pads[3]});
    dnnl::post_ops ops;
    for (const auto& p : spec_.post_ops) {
      if (p.kind == PostOp::Kind::Eltwise)
        ops.append_eltwise(1.f, static_cast<dnnl::algorithm>(p.algorithm), p.alpha, p.beta);
      else
        ops.append_binary(p.kind == PostOp::Kind::ChannelMul ? dnnl::algorithm::binary_mul : dnnl::algorithm::binary_add,
                          dnnl::memory::desc({1, co_, 1, 1}, dt::f32, tag::nchw));
    }
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(ops);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
    // Reorder the weights into the kernel's preferred layout once per distinct layout.
    dnnl::memory weights;
    for (auto& [md, mem] : weight_layouts_)
      if (md == pd.weights_desc()) weights = mem;
    if (!weights) {
      dnnl::memory user(dnnl::memory::desc(wdims, dt::f32, spec_.group > 1 ? tag::goihw : tag::oihw), cpu_engine(),
                        spec_.weights.data());
      weights = dnnl::memory(pd.weights_desc(), cpu_engine());
      dnnl::reorder(user, weights).execute(cpu_stream(), user, weights);
      cpu_stream().wait();
      weight_layouts_.emplace_back(pd.weights_desc(), weights);
    }
    return cache_.emplace(key, Prepared{dnnl::convolution_forward(pd), src_md, dst_md, weights, pd.scratchpad_desc()})
        .first->second;
  }

  ConvSpec spec_;
  int64_t co_, ci_, kh_, kw_;
  std::vector<dnnl::memory> channel_mems_;
  dnnl::memory user_bias_;
  std::map<std::array<int64_t, 3>, Prepared> cache_;
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> weight_layouts_;
};

// ConvTranspose (group 1) through oneDNN deconvolution.
class DeconvKernel : public Kernel {
 public:
  DeconvKernel(std::string name, std::vector<float> weights, std::vector<int64_t> wshape, std::vector<float> bias,
               std::vector<int64_t> strides, std::vector<int64_t> pads)
      : name_(std::move(name)), weights_(std::move(weights)), bias_(std::move(bias)),
        strides_(std::move(strides)), pads_(std::move(pads)) {
    ci_ = wshape[0];
    co_ = wshape[1];
    kh_ = wshape[2];
    kw_ = wshape[3];
    if (bias_.empty()) bias_.assign(static_cast<size_t>(co_), 0.f);
  }
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4 || x->shape[1] != ci_) fail(name_ + ": unexpected input " + shape_str(x->shape));
    if (!x->nhwc) { tmp = *x; to_nhwc(tmp, ctx); x = &tmp; }
    const int64_t n = x->shape[0], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h - 1) * strides_[0] - pads_[0] - pads_[2] + kh_;
    const int64_t wo = (w - 1) * strides_[1] - pads_[1] - pads_[3] + kw_;
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    const std::array<int64_t, 3> key{n, h, w};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() > kCacheCap) cache_.clear();
      dnnl::memory::desc src_md({n, ci_, h, w}, dt::f32, tag::nhwc);
      dnnl::memory::desc dst_md({n, co_, ho, wo}, dt::f32, tag::nhwc);
      dnnl::memory::desc w_any({co_, ci_, kh_, kw_}, dt::f32, tag::any);
      dnnl::memory::desc b_md({co_}, dt::f32, tag::x);
      dnnl::deconvolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                             src_md, w_any, b_md, dst_md, {strides_[0], strides_[1]},
                                             {pads_[0], pads_[1]}, {pads_[2], pads_[3]});
      dnnl::deconvolution_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      // ONNX stores deconvolution weights as [Ci, Co, kh, kw]: oneDNN's "iohw" tag.
      dnnl::memory user({{co_, ci_, kh_, kw_}, dt::f32, tag::iohw}, cpu_engine(), weights_.data());
      dnnl::memory wmem(pd.weights_desc(), cpu_engine());
      dnnl::reorder(user, wmem).execute(cpu_stream(), user, wmem);
      cpu_stream().wait();
      it = cache_.emplace(key, Prepared{dnnl::deconvolution_forward(pd), src_md, dst_md, wmem, pd.scratchpad_desc()}).first;
    }
    Value& y = *out[0];
    alloc_float(y, {n, co_, ho, wo}, ctx, true);
    dnnl::memory src(it->second.src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    dnnl::memory dst(it->second.dst_md, cpu_engine(), y.f.data());
    dnnl::memory bias({{co_}, dt::f32, tag::x}, cpu_engine(), bias_.data());
    it->second.primitive.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, it->second.weights},
                                                 {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst},
                                                 {DNNL_ARG_SCRATCHPAD, scratchpad_for(it->second.scratchpad_md)}});
    cpu_stream().wait();
    if (tmp.f.size()) ctx.release(std::move(tmp.f));
  }

 private:
  struct Prepared {
    dnnl::deconvolution_forward primitive;
    dnnl::memory::desc src_md, dst_md;
    dnnl::memory weights;
    dnnl::memory::desc scratchpad_md;
  };
  std::string name_;
  std::vector<float> weights_, bias_;
  std::vector<int64_t> strides_, pads_;
  int64_t ci_, co_, kh_, kw_;
  std::map<std::array<int64_t, 3>, Prepared> cache_;
};

std::unique_ptr<Kernel> make_deconv(const NodeInfo& n) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "output_padding", "auto_pad"});
  if (attrs.i("group", 1) != 1) fail(n.describe() + ": only group=1 is supported");
  if (attrs.s("auto_pad", "NOTSET") != "NOTSET") fail(n.describe() + ": auto_pad is not supported");
  for (auto d : attrs.ints("dilations", {1, 1}))
    if (d != 1) fail(n.describe() + ": dilations other than 1 are not supported");
  for (auto p : attrs.ints("output_padding", {0, 0}))
    if (p != 0) fail(n.describe() + ": output_padding is not supported");
  const Value& w = require_const(n, 0 + 1, "W");
  if (w.rank() != 4) fail(n.describe() + ": weights must be 4-D");
  std::vector<float> bias;
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) bias = as_floats(require_const(n, 2, "B"));
  auto pads = attrs.ints("pads", {0, 0, 0, 0});
  auto strides = attrs.ints("strides", {1, 1});
  if (pads.size() != 4 || strides.size() != 2) fail(n.describe() + ": only 2-D deconvolution is supported");
  return std::make_unique<DeconvKernel>(n.proto->name(), as_floats(w), w.shape, std::move(bias), strides, pads);
}

// Pooling through oneDNN (NHWC).
class PoolKernel : public Kernel {
 public:
  PoolKernel(dnnl::algorithm alg, std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads)
      : alg_(alg), kernel_(std::move(kernel)), strides_(std::move(strides)), pads_(std::move(pads)) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4) fail("pooling expects a 4-D input");
    if (!x->nhwc) { tmp = *x; to_nhwc(tmp, ctx); x = &tmp; }
    const int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h + pads_[0] + pads_[2] - kernel_[0]) / strides_[0] + 1;
    const int64_t wo = (w + pads_[1] + pads_[3] - kernel_[1]) / strides_[1] + 1;
    if (ho <= 0 || wo <= 0) fail("pooling: input " + shape_str(x->shape) + " smaller than the window");
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    dnnl::memory::desc src_md({n, c, h, w}, dt::f32, tag::nhwc);
    dnnl::memory::desc dst_md({n, c, ho, wo}, dt::f32, tag::nhwc);
    const std::array<int64_t, 4> key{n, c, h, w};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() > kCacheCap) cache_.clear();
      dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg_, src_md, dst_md,
                                       {strides_[0], strides_[1]}, {kernel_[0], kernel_[1]}, {pads_[0], pads_[1]},
                                       {pads_[2], pads_[3]});
      dnnl::pooling_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      it = cache_.emplace(key, std::make_pair(dnnl::pooling_forward(pd), pd.scratchpad_desc())).first;
    }
    Value& y = *out[0];
    alloc_float(y, {n, c, ho, wo}, ctx, true);
    dnnl::memory src(src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    dnnl::memory dst(dst_md, cpu_engine(), y.f.data());
    it->second.first.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst},
                                            {DNNL_ARG_SCRATCHPAD, scratchpad_for(it->second.second)}});
    cpu_stream().wait();
    if (tmp.f.size()) ctx.release(std::move(tmp.f));
  }

 private:
  dnnl::algorithm alg_;
  std::vector<int64_t> kernel_, strides_, pads_;
  std::map<std::array<int64_t, 4>, std::pair<dnnl::pooling_forward, dnnl::memory::desc>> cache_;
};

// Explicit pads [top, left, bottom, right] for a node's `auto_pad`. SAME_* padding depends on
// the input size unless every stride is 1, so only that case is accepted.
std::vector<int64_t> resolve_auto_pad(const NodeInfo& n, const Attrs& attrs, const std::vector<int64_t>& kernel,
                                      const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations) {
  const std::string mode = attrs.s("auto_pad", "NOTSET");
  if (mode == "NOTSET") return attrs.ints("pads", {0, 0, 0, 0});
  if (attrs.has("pads")) fail(n.describe() + ": both pads and auto_pad are set");
  if (mode == "VALID") return {0, 0, 0, 0};
  if (mode != "SAME_UPPER" && mode != "SAME_LOWER") fail(n.describe() + ": auto_pad '" + mode + "' is not supported");
  if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
    fail(n.describe() + ": only 2-D auto_pad is supported");
  std::vector<int64_t> pads(4);
  for (size_t d = 0; d < 2; ++d) {
    if (strides[d] != 1) fail(n.describe() + ": auto_pad SAME with a stride other than 1 is not supported");
    const int64_t total = (kernel[d] - 1) * dilations[d];
    const int64_t small = total / 2, large = total - small;
    pads[d] = mode == "SAME_UPPER" ? small : large;  // SAME_UPPER puts the extra pixel at the end
    pads[d + 2] = total - pads[d];
  }
  return pads;
}

std::unique_ptr<Kernel> make_pool(const NodeInfo& n, bool is_max) {
  Attrs attrs(n, {"kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "auto_pad", "dilations",
                  "storage_order"});
  if (attrs.i("ceil_mode", 0) != 0) fail(n.describe() + ": ceil_mode=1 is not supported");
  if (attrs.i("storage_order", 0) != 0) fail(n.describe() + ": storage_order=1 is not supported");
  for (auto d : attrs.ints("dilations", {1, 1}))
    if (d != 1) fail(n.describe() + ": dilations other than 1 are not supported");
  auto kernel = attrs.ints("kernel_shape", {});
  if (kernel.size() != 2) fail(n.describe() + ": only 2-D pooling is supported");
  auto strides = attrs.ints("strides", {1, 1});
  auto pads = resolve_auto_pad(n, attrs, kernel, strides, {1, 1});
  dnnl::algorithm alg = is_max ? dnnl::algorithm::pooling_max
                        : attrs.i("count_include_pad", 0) ? dnnl::algorithm::pooling_avg_include_padding
                                                           : dnnl::algorithm::pooling_avg_exclude_padding;
  return std::make_unique<PoolKernel>(alg, kernel, strides, pads);
}

class GlobalAvgPoolKernel : public Kernel {
 public:
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    if (x.rank() != 4) fail("GlobalAveragePool expects a 4-D input");
    const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
    alloc_float(*out[0], {n, c, 1, 1}, ctx, false);
    float* d = out[0]->f.data();
    const float inv = 1.f / static_cast<float>(hw);
    for (int64_t b = 0; b < n; ++b) {
      float* db = d + b * c;
      if (x.nhwc) {
        std::fill(db, db + c, 0.f);
        const float* s = x.f.data() + b * hw * c;
        for (int64_t p = 0; p < hw; ++p)
          for (int64_t ch = 0; ch < c; ++ch) db[ch] += s[p * c + ch];
      } else {
        for (int64_t ch = 0; ch < c; ++ch) {
          const float* s = x.f.data() + (b * c + ch) * hw;
          double acc = 0;
          for (int64_t p = 0; p < hw; ++p) acc += s[p];
          db[ch] = static_cast<float>(acc);
        }
      }
      for (int64_t ch = 0; ch < c; ++ch) db[ch] *= inv;
    }
  }
};

// ---------------------------------------------------------------------------------------
// MatMul through oneDNN (row-major, batched with broadcasting of a 2-D right operand).

class MatMulKernel : public Kernel {
 public:
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& a = *in[0];
    const Value& b = *in[1];
    if (a.rank() < 2 || b.rank() < 2) fail("MatMul: operands must be at least 2-D (got " + shape_str(a.shape) + " x " + shape_str(b.shape) + ")");
    const int64_t m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
    const int64_t kb = b.shape[b.rank() - 2], nn = b.shape[b.rank() - 1];
    if (k != kb) fail("MatMul: inner dimensions differ: " + shape_str(a.shape) + " x " + shape_str(b.shape));
    std::vector<int64_t> out_shape;
    int64_t batch = 1, rows = m;
    if (b.rank() == 2) {
      out_shape.assign(a.shape.begin(), a.shape.end() - 1);
      out_shape.push_back(nn);
      for (int d = 0; d + 2 < a.rank(); ++d) rows *= a.shape[d];
    } else {
      if (a.rank() != b.rank() || !std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()))
        fail("MatMul: batch dimensions must match: " + shape_str(a.shape) + " x " + shape_str(b.shape));
      for (int d = 0; d + 2 < a.rank(); ++d) batch *= a.shape[d];
      out_shape = a.shape;
      out_shape.back() = nn;
    }
    alloc_float(*out[0], out_shape, ctx);
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const std::array<int64_t, 4> key{batch, rows, k, nn};
    auto it = cache_.find(key);
    dnnl::memory::desc a_md({batch, rows, k}, dt::f32, tag::abc);
    dnnl::memory::desc b_md({b.rank() == 2 ? 1 : batch, k, nn}, dt::f32, tag::abc);
    dnnl::memory::desc c_md({batch, rows, nn}, dt::f32, tag::abc);
    if (it == cache_.end()) {
      if (cache_.size() > kCacheCap) cache_.clear();
      dnnl::matmul::desc desc(a_md, b_md, c_md);
      dnnl::matmul::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      it = cache_.emplace(key, std::make_pair(dnnl::matmul(pd), pd.scratchpad_desc())).first;
    }
    dnnl::memory ma(a_md, cpu_engine(), const_cast<float*>(a.f.data()));
    dnnl::memory mb(b_md, cpu_engine(), const_cast<float*>(b.f.data()));
    dnnl::memory mc(c_md, cpu_engine(), out[0]->f.data());
    it->second.first.execute(cpu_stream(), {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc},
                                            {DNNL_ARG_SCRATCHPAD, scratchpad_for(it->second.second)}});
    cpu_stream().wait();
  }

 private:
  std::map<std::array<int64_t, 4>, std::pair<dnnl::matmul, dnnl::memory::desc>> cache_;
};

// ---------------------------------------------------------------------------------------
// Reductions and normalisation

void softmax_row(const float* s, float* d, int64_t len) {
  // Blocked max/sum: independent partial results let the loops vectorize without -ffast-math.
  constexpr int kLanes = 16;
  std::array<float, kLanes> mx;
  mx.fill(-INFINITY);
  int64_t k = 0;
  for (; k + kLanes <= len; k += kLanes)
    for (int l = 0; l < kLanes; ++l) mx[l] = s[k + l] > mx[l] ? s[k + l] : mx[l];
  float m = *std::max_element(mx.begin(), mx.end());
  for (; k < len; ++k) m = std::max(m, s[k]);
  for (k = 0; k < len; ++k) d[k] = fast_exp(s[k] - m);
  std::array<float, kLanes> sums{};
  for (k = 0; k + kLanes <= len; k += kLanes)
    for (int l = 0; l < kLanes; ++l) sums[l] += d[k + l];
  float sum = std::accumulate(sums.begin(), sums.end(), 0.0f);
  for (; k < len; ++k) sum += d[k];
  const float inv = 1.f / sum;
  for (k = 0; k < len; ++k) d[k] *= inv;
}

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(int64_t axis, bool coerce_2d) : axis_(axis), coerce_2d_(coerce_2d) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    const int64_t axis = normalize_axis(axis_, x.rank(), "Softmax");
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
    if (coerce_2d_) {  // opset < 13: softmax over all dimensions from `axis` on
      for (int64_t d = axis; d < x.rank(); ++d) len *= x.shape[d];
    } else {
      len = x.shape[axis];
      for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.shape[d];
    }
    alloc_float(*out[0], x.shape, ctx);
    const float* s = x.f.data();
    float* d = out[0]->f.data();
#pragma omp parallel for if (outer * len > kParallelThreshold)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const float* ps = s + o * len * inner + i;
        float* pd = d + o * len * inner + i;
        if (inner == 1) {  // the common, contiguous case: loops the compiler vectorizes
          softmax_row(ps, pd, len);
          continue;
        }
        float mx = -INFINITY;
        for (int64_t k = 0; k < len; ++k) mx = std::max(mx, ps[k * inner]);
        float sum = 0;
        for (int64_t k = 0; k < len; ++k) {
          pd[k * inner] = fast_exp(ps[k * inner] - mx);
          sum += pd[k * inner];
        }
        const float invs = 1.f / sum;
        for (int64_t k = 0; k < len; ++k) pd[k * inner] *= invs;
      }
  }

 private:
  int64_t axis_;
  bool coerce_2d_;
};

class ReduceMeanKernel : public Kernel {
 public:
  ReduceMeanKernel(std::vector<int64_t> axes, bool keepdims) : axes_(std::move(axes)), keepdims_(keepdims) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    std::vector<int64_t> axes = axes_;
    if (axes.empty()) {
      axes.resize(x.rank());
      std::iota(axes.begin(), axes.end(), 0);
    }
    for (auto& a : axes) a = normalize_axis(a, x.rank(), "ReduceMean");
    std::sort(axes.begin(), axes.end());
    for (size_t k = 1; k < axes.size(); ++k)
      if (axes[k] != axes[k - 1] + 1) fail("ReduceMean: only contiguous axes are supported");
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < x.rank(); ++d) {
      if (d < axes.front()) outer *= x.shape[d];
      else if (d <= axes.back()) len *= x.shape[d];
      else inner *= x.shape[d];
    }
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < x.rank(); ++d) {
      const bool reduced = d >= axes.front() && d <= axes.back();
      if (!reduced) shape.push_back(x.shape[d]);
      else if (keepdims_) shape.push_back(1);
    }
    alloc_float(*out[0], shape, ctx);
    const float* s = x.f.data();
    float* d = out[0]->f.data();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        float acc = 0;
        for (int64_t k = 0; k < len; ++k) acc += s[(o * len + k) * inner + i];
        d[o * inner + i] = acc / static_cast<float>(len);
      }
  }

 private:
  std::vector<int64_t> axes_;
  bool keepdims_;
};

// ---------------------------------------------------------------------------------------
// Shape and data movement (NCHW / plain layout)

class ShapeKernel : public Kernel {
 public:
  bool accepts_nhwc() const override { return true; }  // reads the logical shape only
  void run(ExecContext&, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    alloc_int(*out[0], {in[0]->rank()});
    std::copy(in[0]->shape.begin(), in[0]->shape.end(), out[0]->i.begin());
  }
};

class CastKernel : public Kernel {
 public:
  explicit CastKernel(DType to) : to_(to) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    if (to_ == DType::Int64) {
      alloc_int(*out[0], x.shape);
      out[0]->i = as_ints(x);
    } else {
      alloc_float(*out[0], x.shape, ctx);
      auto f = as_floats(x);
      std::copy(f.begin(), f.end(), out[0]->f.begin());
    }
  }

 private:
  DType to_;
};

// Copies `x` (plain layout) into `y` with a new shape: Reshape, Squeeze, Unsqueeze, Flatten.
void copy_reshaped(const Value& x, Value& y, std::vector<int64_t> shape, ExecContext& ctx) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  if (n != x.numel()) fail("reshape from " + shape_str(x.shape) + " to " + shape_str(shape) + " changes the size");
  if (x.dtype == DType::Int64) {
    alloc_int(y, shape);
    std::copy(x.i.begin(), x.i.begin() + n, y.i.begin());
  } else {
    alloc_float(y, shape, ctx);
    std::memcpy(y.f.data(), x.f.data(), sizeof(float) * n);
  }
}

class ReshapeKernel : public Kernel {
 public:
  // allow_zero: a 0 in the target shape is a zero-sized dimension, not "copy the input's".
  explicit ReshapeKernel(bool allow_zero) : allow_zero_(allow_zero) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    auto target = as_ints(*in[1]);
    int64_t known = 1;
    int infer = -1;
    for (size_t k = 0; k < target.size(); ++k) {
      if (target[k] == 0 && !allow_zero_) {
        if (k >= x.shape.size()) fail("Reshape: 0 refers to a missing input dimension");
        target[k] = x.shape[k];
      }
      if (target[k] == -1) {
        if (infer >= 0) fail("Reshape: more than one -1");
        infer = static_cast<int>(k);
      } else {
        known *= target[k];
      }
    }
    if (infer >= 0) {
      if (known == 0 || x.numel() % known) fail("Reshape: cannot infer -1 for " + shape_str(x.shape));
      target[infer] = x.numel() / known;
    }
    copy_reshaped(x, *out[0], target, ctx);
  }

 private:
  bool allow_zero_;
};

class SqueezeKernel : public Kernel {
 public:
  SqueezeKernel(std::vector<int64_t> axes, bool unsqueeze) : axes_(std::move(axes)), unsqueeze_(unsqueeze) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    std::vector<int64_t> axes = axes_;
    if (in.size() > 1 && in[1]) axes = as_ints(*in[1]);
    std::vector<int64_t> shape;
    if (unsqueeze_) {
      const int64_t r = x.rank() + static_cast<int64_t>(axes.size());
      for (auto& a : axes) a = normalize_axis(a, r, "Unsqueeze");
      std::sort(axes.begin(), axes.end());
      size_t src = 0, ai = 0;
      for (int64_t d = 0; d < r; ++d) {
        if (ai < axes.size() && axes[ai] == d) { shape.push_back(1); ++ai; }
        else shape.push_back(x.shape[src++]);
      }
    } else {
      for (auto& a : axes) a = normalize_axis(a, x.rank(), "Squeeze");
      for (int64_t d = 0; d < x.rank(); ++d) {
        const bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
        if (listed && x.shape[d] != 1) fail("Squeeze: dimension " + std::to_string(d) + " of " + shape_str(x.shape) + " is not 1");
        if (!(listed || (axes.empty() && x.shape[d] == 1))) shape.push_back(x.shape[d]);
      }
    }
    copy_reshaped(x, *out[0], shape, ctx);
  }

 private:
  std::vector<int64_t> axes_;
  bool unsqueeze_;
};

class FlattenKernel : public Kernel {
 public:
  explicit FlattenKernel(int64_t axis) : axis_(axis) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    int64_t axis = axis_ < 0 ? axis_ + x.rank() : axis_;
    int64_t a = 1, b = 1;
    for (int64_t d = 0; d < x.rank(); ++d) (d < axis ? a : b) *= x.shape[d];
    copy_reshaped(x, *out[0], {a, b}, ctx);
  }

 private:
  int64_t axis_;
};

class TransposeKernel : public Kernel {
 public:
  explicit TransposeKernel(std::vector<int64_t> perm) : perm_(std::move(perm)) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    const int r = x.rank();
    std::vector<int64_t> perm = perm_;
    if (perm.empty()) for (int d = r - 1; d >= 0; --d) perm.push_back(d);
    if (static_cast<int>(perm.size()) != r) fail("Transpose: perm does not match input rank " + shape_str(x.shape));
    std::vector<int64_t> shape(r), in_strides(r), src_stride(r);
    int64_t st = 1;
    for (int d = r - 1; d >= 0; --d) { in_strides[d] = st; st *= x.shape[d]; }
    for (int d = 0; d < r; ++d) { shape[d] = x.shape[perm[d]]; src_stride[d] = in_strides[perm[d]]; }
    const int64_t n = x.numel();
    auto body = [&](auto* dst, const auto* src) {
      const int64_t inner = r ? shape[r - 1] : 1;
      const int64_t sinner = r ? src_stride[r - 1] : 1;
      const int64_t outer = inner ? n / inner : 0;
#pragma omp parallel for if (n > kParallelThreshold)
      for (int64_t o = 0; o < outer; ++o) {
        int64_t rem = o, off = 0;
        for (int d = r - 2; d >= 0; --d) {
          off += (rem % shape[d]) * src_stride[d];
          rem /= shape[d];
        }
        for (int64_t k = 0; k < inner; ++k) dst[o * inner + k] = src[off + k * sinner];
      }
    };
    if (x.dtype == DType::Int64) {
      alloc_int(*out[0], shape);
      body(out[0]->i.data(), x.i.data());
    } else {
      alloc_float(*out[0], shape, ctx);
      body(out[0]->f.data(), x.f.data());
    }
  }

 private:
  std::vector<int64_t> perm_;
};

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(int64_t axis) : axis_(axis) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& first = *in[0];
    const int64_t axis = normalize_axis(axis_, first.rank(), "Concat");
    bool all_nhwc = axis == 1 && first.rank() == 4;
    for (auto* v : in) all_nhwc = all_nhwc && v->nhwc;
    std::vector<Value> converted;  // plain copies of NHWC inputs when not concatenating channels
    std::vector<const Value*> ins(in.begin(), in.end());
    if (!all_nhwc) {
      for (auto*& v : ins)
        if (v->nhwc) { converted.push_back(*v); to_nchw(converted.back(), ctx); }
      size_t c = 0;
      for (auto*& v : ins)
        if (v->nhwc) v = &converted[c++];
    }
    std::vector<int64_t> shape = first.shape;
    shape[axis] = 0;
    for (auto* v : ins) {
      if (v->rank() != first.rank()) fail("Concat: inputs of different rank");
      for (int64_t d = 0; d < first.rank(); ++d)
        if (d != axis && v->shape[d] != first.shape[d]) fail("Concat: mismatched shapes " + shape_str(first.shape) + " and " + shape_str(v->shape));
      shape[axis] += v->shape[axis];
    }
    const bool ints = first.dtype == DType::Int64;
    // In NHWC, channels are the innermost dimension: treat as concatenation along the last axis.
    int64_t outer = 1, inner = 1;
    if (all_nhwc) {
      outer = shape[0] * shape[2] * shape[3];
    } else {
      for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
      for (int64_t d = axis + 1; d < first.rank(); ++d) inner *= shape[d];
    }
    if (ints) alloc_int(*out[0], shape);
    else alloc_float(*out[0], shape, ctx, all_nhwc);
    const int64_t out_row = shape[axis] * inner;
    int64_t offset = 0;
    for (auto* v : ins) {
      const int64_t row = v->shape[axis] * inner;
      if (ints) {
        for (int64_t o = 0; o < outer; ++o)
          std::copy(v->i.begin() + o * row, v->i.begin() + (o + 1) * row, out[0]->i.begin() + o * out_row + offset);
      } else {
        const float* s = v->f.data();
        float* d = out[0]->f.data();
#pragma omp parallel for if (outer * row > kParallelThreshold)
        for (int64_t o = 0; o < outer; ++o) std::memcpy(d + o * out_row + offset, s + o * row, sizeof(float) * row);
      }
      offset += row;
    }
    for (auto& c : converted) ctx.release(std::move(c.f));
  }

 private:
  int64_t axis_;
};

class SliceKernel : public Kernel {
 public:
  SliceKernel(std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes, bool from_inputs)
      : starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)), from_inputs_(from_inputs) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    auto starts = starts_, ends = ends_, axes = axes_;
    std::vector<int64_t> steps;
    if (from_inputs_) {
      starts = as_ints(*in[1]);
      ends = as_ints(*in[2]);
      axes = in.size() > 3 && in[3] ? as_ints(*in[3]) : std::vector<int64_t>{};
      if (in.size() > 4 && in[4]) steps = as_ints(*in[4]);
    }
    if (axes.empty()) { axes.resize(starts.size()); std::iota(axes.begin(), axes.end(), 0); }
    if (steps.empty()) steps.assign(starts.size(), 1);
    const int r = x.rank();
    std::vector<int64_t> begin(r, 0), step(r, 1), shape = x.shape;
    for (size_t k = 0; k < axes.size(); ++k) {
      const int64_t a = normalize_axis(axes[k], r, "Slice");
      const int64_t dim = x.shape[a];
      const int64_t st = steps[k];
      if (st == 0) fail("Slice: step 0");
      int64_t s = starts[k] < 0 ? starts[k] + dim : starts[k];
      int64_t e = ends[k] < 0 ? ends[k] + dim : ends[k];
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        shape[a] = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        shape[a] = s > e ? (s - e - st - 1) / (-st) : 0;
      }
      begin[a] = s;
      step[a] = st;
    }
    std::vector<int64_t> stride(r);
    int64_t acc = 1;
    for (int d = r - 1; d >= 0; --d) { stride[d] = acc; acc *= x.shape[d]; }
    int64_t n = 1;
    for (auto d : shape) n *= d;
    // Trailing dimensions copied whole, plus the innermost sliced one when its step is 1, form
    // contiguous runs: copy run by run instead of element by element.
    int inner_dim = r;
    int64_t run = 1;
    while (inner_dim > 0 && step[inner_dim - 1] == 1 && shape[inner_dim - 1] == x.shape[inner_dim - 1]) {
      --inner_dim;
      run *= shape[inner_dim];
    }
    if (inner_dim > 0 && step[inner_dim - 1] == 1) {
      --inner_dim;
      run *= shape[inner_dim];
    }
    auto body = [&](auto* dst, const auto* src) {
      if (run > 1 && n > 0) {
        const int64_t runs = n / run;
        for (int64_t o = 0; o < runs; ++o) {
          int64_t rem = o, off = 0;
          for (int d = inner_dim - 1; d >= 0; --d) {
            const int64_t idx = rem % shape[d];
            rem /= shape[d];
            off += (begin[d] + idx * step[d]) * stride[d];
          }
          off += begin[inner_dim] * stride[inner_dim];
          std::copy_n(src + off, run, dst + o * run);
        }
        return;
      }
      for (int64_t o = 0; o < n; ++o) {
        int64_t rem = o, off = 0;
        for (int d = r - 1; d >= 0; --d) {
          const int64_t idx = rem % shape[d];
          rem /= shape[d];
          off += (begin[d] + idx * step[d]) * stride[d];
        }
        dst[o] = src[off];
      }
    };
    if (x.dtype == DType::Int64) { alloc_int(*out[0], shape); body(out[0]->i.data(), x.i.data()); }
    else { alloc_float(*out[0], shape, ctx); body(out[0]->f.data(), x.f.data()); }
  }

 private:
  std::vector<int64_t> starts_, ends_, axes_;
  bool from_inputs_;
};

class GatherKernel : public Kernel {
 public:
  explicit GatherKernel(int64_t axis) : axis_(axis) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    const auto idx = as_ints(*in[1]);
    const int64_t axis = normalize_axis(axis_, x.rank(), "Gather");
    std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
    shape.insert(shape.end(), in[1]->shape.begin(), in[1]->shape.end());
    shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
    for (int64_t d = axis + 1; d < x.rank(); ++d) inner *= x.shape[d];
    const int64_t dim = x.shape[axis];
    auto body = [&](auto* dst, const auto* src) {
      for (int64_t o = 0; o < outer; ++o)
        for (size_t k = 0; k < idx.size(); ++k) {
          int64_t j = idx[k] < 0 ? idx[k] + dim : idx[k];
          if (j < 0 || j >= dim) fail("Gather: index out of range");
          std::copy(src + (o * dim + j) * inner, src + (o * dim + j + 1) * inner, dst + (o * idx.size() + k) * inner);
        }
    };
    if (x.dtype == DType::Int64) { alloc_int(*out[0], shape); body(out[0]->i.data(), x.i.data()); }
    else { alloc_float(*out[0], shape, ctx); body(out[0]->f.data(), x.f.data()); }
  }

 private:
  int64_t axis_;
};

// Resize: nearest neighbour, asymmetric coordinates, floor rounding (what PaddleOCR's
// nearest_interp exports to). Works directly on NHWC activations.
class ResizeNearestKernel : public Kernel {
 public:
  explicit ResizeNearestKernel(int opset) : opset_(opset) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) override {
    const Value& x = *in[0];
    if (x.rank() != 4) fail("Resize: only 4-D inputs are supported");
    std::vector<float> scales;
    std::vector<int64_t> sizes;
    const size_t scales_idx = opset_ >= 11 ? 2 : 1;
    if (in.size() > scales_idx && in[scales_idx] && in[scales_idx]->numel() > 0) scales = as_floats(*in[scales_idx]);
    if (opset_ >= 11 && in.size() > 3 && in[3] && in[3]->numel() > 0) sizes = as_ints(*in[3]);
    int64_t oh, ow;
    float sh, sw;
    if (!sizes.empty()) {
      if (sizes.size() != 4 || sizes[0] != x.shape[0] || sizes[1] != x.shape[1]) fail("Resize: only spatial resizing is supported");
      oh = sizes[2];
      ow = sizes[3];
      sh = static_cast<float>(oh) / x.shape[2];
      sw = static_cast<float>(ow) / x.shape[3];
    } else if (scales.size() == 4) {
      if (scales[0] != 1.f || scales[1] != 1.f) fail("Resize: only spatial resizing is supported");
      sh = scales[2];
      sw = scales[3];
      oh = static_cast<int64_t>(std::floor(x.shape[2] * sh));
      ow = static_cast<int64_t>(std::floor(x.shape[3] * sw));
    } else {
      fail("Resize: needs 4 scales or 4 sizes");
    }
    const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
    std::vector<int64_t> ys(oh), xs(ow);
    for (int64_t y = 0; y < oh; ++y) ys[y] = std::min<int64_t>(h - 1, static_cast<int64_t>(std::floor(y / sh)));
    for (int64_t xx = 0; xx < ow; ++xx) xs[xx] = std::min<int64_t>(w - 1, static_cast<int64_t>(std::floor(xx / sw)));
    alloc_float(*out[0], {n, c, oh, ow}, ctx, x.nhwc);
    const float* s = x.f.data();
    float* d = out[0]->f.data();
    if (x.nhwc) {
#pragma omp parallel for if (n * oh * ow * c > kParallelThreshold)
      for (int64_t by = 0; by < n * oh; ++by) {
        const int64_t b = by / oh, y = by % oh;
        for (int64_t xx = 0; xx < ow; ++xx)
          std::memcpy(d + ((b * oh + y) * ow + xx) * c, s + ((b * h + ys[y]) * w + xs[xx]) * c, sizeof(float) * c);
      }
    } else {
      for (int64_t bc = 0; bc < n * c; ++bc)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) d[(bc * oh + y) * ow + xx] = s[(bc * h + ys[y]) * w + xs[xx]];
    }
  }

 private:
  int opset_;
};

std::unique_ptr<Kernel> make_resize(const NodeInfo& n) {
  Attrs attrs(n, {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                  "extrapolation_value"});
  if (attrs.s("mode", "nearest") != "nearest") fail(n.describe() + ": only mode=nearest is supported");
  if (attrs.s("coordinate_transformation_mode", "asymmetric") != "asymmetric")
    fail(n.describe() + ": only coordinate_transformation_mode=asymmetric is supported");
  const auto nm = attrs.s("nearest_mode", "round_prefer_floor");
  if (nm != "floor") fail(n.describe() + ": only nearest_mode=floor is supported");
  if (attrs.i("exclude_outside", 0) != 0) fail(n.describe() + ": exclude_outside is not supported");
  return std::make_unique<ResizeNearestKernel>(n.opset);
}

std::vector<int64_t> ints_of(const NodeInfo& n, size_t idx, const char* what) {
  return as_ints(require_const(n, idx, what));
}

}  // namespace

ConvSpec conv_spec_from_node(const NodeInfo& n) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "auto_pad"});
  ConvSpec spec;
  spec.name = n.describe();
  const Value& w = require_const(n, 1, "W");
  if (w.rank() != 4) fail(n.describe() + ": only 2-D convolutions are supported");
  spec.weights = as_floats(w);
  spec.weight_shape = w.shape;
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) spec.bias = as_floats(require_const(n, 2, "B"));
  spec.group = attrs.i("group", 1);
  spec.strides = attrs.ints("strides", {1, 1});
  spec.dilations = attrs.ints("dilations", {1, 1});
  const auto ks = attrs.ints("kernel_shape", {w.shape[2], w.shape[3]});
  spec.pads = resolve_auto_pad(n, attrs, ks, spec.strides, spec.dilations);
  if (ks.size() != 2 || ks[0] != w.shape[2] || ks[1] != w.shape[3]) fail(n.describe() + ": kernel_shape does not match the weights");
  if (spec.strides.size() != 2 || spec.pads.size() != 4 || spec.dilations.size() != 2)
    fail(n.describe() + ": only 2-D convolutions are supported");
  if (spec.group < 1 || w.shape[0] % spec.group) fail(n.describe() + ": invalid group");
  if (spec.bias.empty()) spec.bias.assign(static_cast<size_t>(w.shape[0]), 0.f);
  return spec;
}

bool shuffle_conv_spec_from_deconv(const NodeInfo& n, ConvSpec& spec) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "output_padding", "auto_pad"});
  if (attrs.i("group", 1) != 1 || attrs.s("auto_pad", "NOTSET") != "NOTSET") return false;
  if (n.constant_inputs.size() < 2 || !n.constant_inputs[1] || n.constant_inputs[1]->rank() != 4) return false;
  const Value& w = *n.constant_inputs[1];
  const int64_t ci = w.shape[0], co = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  const auto strides = attrs.ints("strides", {1, 1});
  for (auto p : attrs.ints("pads", {0, 0, 0, 0})) if (p) return false;
  for (auto p : attrs.ints("output_padding", {0, 0})) if (p) return false;
  for (auto d : attrs.ints("dilations", {1, 1})) if (d != 1) return false;
  if (strides.size() != 2 || kh != kw || strides[0] != kh || strides[1] != kw || kh < 2) return false;
  std::vector<float> bias(static_cast<size_t>(co), 0.f);
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) {
    if (n.constant_inputs.size() < 3 || !n.constant_inputs[2]) return false;
    bias = as_floats(*n.constant_inputs[2]);
  }
  const auto wf = as_floats(w);
  const int64_t s = kh, cout = s * s * co;
  spec = ConvSpec{};
  spec.name = n.describe();
  spec.weight_shape = {cout, ci, 1, 1};
  spec.weights.assign(static_cast<size_t>(cout * ci), 0.f);
  spec.bias.assign(static_cast<size_t>(cout), 0.f);
  for (int64_t a = 0; a < s; ++a)
    for (int64_t b = 0; b < s; ++b)
      for (int64_t o = 0; o < co; ++o) {
        const int64_t k = (a * s + b) * co + o;
        spec.bias[k] = bias[o];
        for (int64_t c = 0; c < ci; ++c) spec.weights[k * ci + c] = wf[((c * co + o) * kh + a) * kw + b];
      }
  spec.shuffle = s;
  return true;
}

std::unique_ptr<Kernel> make_conv_kernel(ConvSpec spec) { return std::make_unique<ConvKernel>(std::move(spec)); }

std::unique_ptr<Kernel> make_kernel(const NodeInfo& n) {
  const std::string& op = n.proto->op_type();
  if (!n.proto->domain().empty() && n.proto->domain() != "ai.onnx")
    fail(n.describe() + ": operator domain '" + n.proto->domain() + "' is not supported");
  if (op == "Conv") return make_conv_kernel(conv_spec_from_node(n));
  if (op == "ConvTranspose") return make_deconv(n);
  if (op == "BatchNormalization") return make_batchnorm(n);
  if (op == "Relu") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Relu); }
  if (op == "Sigmoid") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Sigmoid); }
  if (op == "Sqrt") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Sqrt); }
  if (op == "HardSwish") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::HardSwish); }
  if (op == "Erf") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Erf); }
  if (op == "Gelu") {  // opset 20; also what the loader turns the exported erf formula into
    Attrs a(n, {"approximate"});
    if (a.s("approximate", "none") != "none") fail(n.describe() + ": only approximate='none' is supported");
    return std::make_unique<UnaryKernel>(UnaryOp::Gelu);
  }
  if (op == "Identity" || op == "Dropout") { Attrs a(n, {"ratio", "is_test", "seed"}); return std::make_unique<UnaryKernel>(UnaryOp::Identity); }
  if (op == "Abs") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Abs); }
  if (op == "Neg") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Neg); }
  if (op == "Exp") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Exp); }
  if (op == "Tanh") { Attrs a(n, {}); return std::make_unique<UnaryKernel>(UnaryOp::Tanh); }
  if (op == "HardSigmoid") {
    Attrs a(n, {"alpha", "beta"});
    return std::make_unique<UnaryKernel>(UnaryOp::HardSigmoid, a.f("alpha", 0.2f), a.f("beta", 0.5f));
  }
  if (op == "Clip") {
    Attrs a(n, {"min", "max"});
    float lo = a.f("min", -INFINITY), hi = a.f("max", INFINITY);
    if (n.opset >= 11) {  // min/max are optional constant inputs from opset 11 on
      if (n.proto->input_size() > 1 && !n.proto->input(1).empty()) lo = as_floats(require_const(n, 1, "min")).at(0);
      if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) hi = as_floats(require_const(n, 2, "max")).at(0);
    }
    return std::make_unique<UnaryKernel>(UnaryOp::Clip, lo, hi);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") {
    Attrs a(n, {"axis", "broadcast"});
    if (a.has("axis")) fail(n.describe() + ": legacy axis broadcasting is not supported");
    const BinaryOp bop = op == "Add" ? BinaryOp::Add : op == "Sub" ? BinaryOp::Sub : op == "Mul" ? BinaryOp::Mul
                         : op == "Div" ? BinaryOp::Div : BinaryOp::Pow;
    return std::make_unique<BinaryKernel>(bop);
  }
  if (op == "GlobalAveragePool") { Attrs a(n, {}); return std::make_unique<GlobalAvgPoolKernel>(); }
  if (op == "AveragePool") return make_pool(n, false);
  if (op == "MaxPool") {
    if (n.proto->output_size() > 1) fail(n.describe() + ": the Indices output is not supported");
    return make_pool(n, true);
  }
  if (op == "MatMul") { Attrs a(n, {}); return std::make_unique<MatMulKernel>(); }
  if (op == "Softmax") {
    Attrs a(n, {"axis"});
    return std::make_unique<SoftmaxKernel>(a.i("axis", n.opset >= 13 ? -1 : 1), n.opset < 13);
  }
  if (op == "ReduceMean") {
    Attrs a(n, {"axes", "keepdims"});
    return std::make_unique<ReduceMeanKernel>(a.ints("axes", {}), a.i("keepdims", 1) != 0);
  }
  if (op == "Shape") { Attrs a(n, {}); return std::make_unique<ShapeKernel>(); }
  if (op == "Cast") {
    Attrs a(n, {"to"});
    const int64_t to = a.i("to", 0);
    if (to == onnx::TensorProto::FLOAT) return std::make_unique<CastKernel>(DType::Float);
    if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) return std::make_unique<CastKernel>(DType::Int64);
    fail(n.describe() + ": Cast to type " + std::to_string(to) + " is not supported");
  }
  if (op == "Reshape") { Attrs a(n, {"allowzero"}); return std::make_unique<ReshapeKernel>(a.i("allowzero", 0) != 0); }
  if (op == "Squeeze" || op == "Unsqueeze") {
    Attrs a(n, {"axes"});
    return std::make_unique<SqueezeKernel>(a.ints("axes", {}), op == "Unsqueeze");
  }
  if (op == "Flatten") { Attrs a(n, {"axis"}); return std::make_unique<FlattenKernel>(a.i("axis", 1)); }
  if (op == "Transpose") { Attrs a(n, {"perm"}); return std::make_unique<TransposeKernel>(a.ints("perm", {})); }
  if (op == "Concat") { Attrs a(n, {"axis"}); return std::make_unique<ConcatKernel>(a.i("axis", 0)); }
  if (op == "Slice") {
    if (n.opset < 10) {
      Attrs a(n, {"starts", "ends", "axes"});
      return std::make_unique<SliceKernel>(a.ints("starts", {}), a.ints("ends", {}), a.ints("axes", {}), false);
    }
    Attrs a(n, {});
    return std::make_unique<SliceKernel>(std::vector<int64_t>{}, std::vector<int64_t>{}, std::vector<int64_t>{}, true);
  }
  if (op == "Gather") { Attrs a(n, {"axis"}); return std::make_unique<GatherKernel>(a.i("axis", 0)); }
  if (op == "Resize") return make_resize(n);
  (void)ints_of;
  fail(n.describe() + ": operator '" + op + "' is not supported by the EdgeOCR runtime");
}

}  // namespace edgeocr::runtime::detail
