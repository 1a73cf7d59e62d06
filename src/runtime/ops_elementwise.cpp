// Elementwise kernels: unary activations, broadcasting binary arithmetic, BatchNormalization.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace edgeocr::runtime::detail {
namespace {

enum class UnaryOp { Relu, Sigmoid, HardSigmoid, HardSwish, Erf, Gelu, Clip, Sqrt, Identity, Abs, Neg, Exp, Tanh };

class UnaryKernel : public Kernel {
 public:
  UnaryKernel(UnaryOp op, float a = 0, float b = 0) : op_(op), a_(a), b_(b) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
    if (a->dtype != DType::Float) { fa.shape = a->shape; auto fl = as_floats(*a); fa.f = Buffer(fl.data(), fl.data() + fl.size()); a = &fa; }
    if (b->dtype != DType::Float) { fb.shape = b->shape; auto fl = as_floats(*b); fb.f = Buffer(fl.data(), fl.data() + fl.size()); b = &fb; }

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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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

template <UnaryOp Op>
std::unique_ptr<Kernel> make_unary(const NodeInfo& n) {
  Attrs a(n, {});
  return std::make_unique<UnaryKernel>(Op);
}

std::unique_ptr<Kernel> make_gelu(const NodeInfo& n) {  // opset 20; also what the loader fuses the erf formula into
  Attrs a(n, {"approximate"});
  if (a.s("approximate", "none") != "none") fail(n.describe() + ": only approximate='none' is supported");
  return std::make_unique<UnaryKernel>(UnaryOp::Gelu);
}

std::unique_ptr<Kernel> make_identity(const NodeInfo& n) {
  Attrs a(n, {"ratio", "is_test", "seed"});
  return std::make_unique<UnaryKernel>(UnaryOp::Identity);
}

std::unique_ptr<Kernel> make_hard_sigmoid(const NodeInfo& n) {
  Attrs a(n, {"alpha", "beta"});
  return std::make_unique<UnaryKernel>(UnaryOp::HardSigmoid, a.f("alpha", 0.2f), a.f("beta", 0.5f));
}

std::unique_ptr<Kernel> make_clip(const NodeInfo& n) {
  Attrs a(n, {"min", "max"});
  float lo = a.f("min", -INFINITY), hi = a.f("max", INFINITY);
  if (n.opset >= 11) {  // min/max are optional constant inputs from opset 11 on
    if (n.proto->input_size() > 1 && !n.proto->input(1).empty()) lo = as_floats(require_const(n, 1, "min")).at(0);
    if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) hi = as_floats(require_const(n, 2, "max")).at(0);
  }
  return std::make_unique<UnaryKernel>(UnaryOp::Clip, lo, hi);
}

template <BinaryOp Op>
std::unique_ptr<Kernel> make_binary(const NodeInfo& n) {
  Attrs a(n, {"axis", "broadcast"});
  if (a.has("axis")) fail(n.describe() + ": legacy axis broadcasting is not supported");
  return std::make_unique<BinaryKernel>(Op);
}

constexpr OpEntry kOps[] = {
    {"Relu", make_unary<UnaryOp::Relu>},
    {"Sigmoid", make_unary<UnaryOp::Sigmoid>},
    {"Sqrt", make_unary<UnaryOp::Sqrt>},
    {"HardSwish", make_unary<UnaryOp::HardSwish>},
    {"Erf", make_unary<UnaryOp::Erf>},
    {"Abs", make_unary<UnaryOp::Abs>},
    {"Neg", make_unary<UnaryOp::Neg>},
    {"Exp", make_unary<UnaryOp::Exp>},
    {"Tanh", make_unary<UnaryOp::Tanh>},
    {"Gelu", make_gelu},
    {"Identity", make_identity},
    {"Dropout", make_identity},
    {"HardSigmoid", make_hard_sigmoid},
    {"Clip", make_clip},
    {"Add", make_binary<BinaryOp::Add>},
    {"Sub", make_binary<BinaryOp::Sub>},
    {"Mul", make_binary<BinaryOp::Mul>},
    {"Div", make_binary<BinaryOp::Div>},
    {"Pow", make_binary<BinaryOp::Pow>},
    {"BatchNormalization", make_batchnorm},
};

}  // namespace

std::span<const OpEntry> elementwise_ops() { return kOps; }

}  // namespace edgeocr::runtime::detail
