// Reductions and normalisation along an axis: Softmax, ReduceMean.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace edgeocr::runtime::detail {
namespace {

// ---------------------------------------------------------------------------------------
// Reductions and normalisation

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(int64_t axis, bool coerce_2d) : axis_(axis), coerce_2d_(coerce_2d) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
    if (x.numel() == 0) return;
    if (inner == 1) {
      // Contiguous rows (attention weights, the recognizer's class scores): oneDNN's JIT softmax
      // uses the widest vectors the CPU has, where this file is compiled for the baseline ISA.
      const auto prepared = cache_.get({outer, len}, [&] {
        const dnnl::memory::desc md({outer, len}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
        dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, 1);
        dnnl::softmax_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
        return std::make_pair(dnnl::softmax_forward(pd), pd.scratchpad_desc());
      });
      const dnnl::memory::desc md({outer, len}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
      dnnl::memory src(md, cpu_engine(), const_cast<float*>(s));
      dnnl::memory dst(md, cpu_engine(), d);
      prepared->first.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst},
                                             {DNNL_ARG_SCRATCHPAD, scratchpad_for(prepared->second)}});
      cpu_stream().wait();
      return;
    }
#pragma omp parallel for if (outer * len > kParallelThreshold)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const float* ps = s + o * len * inner + i;
        float* pd = d + o * len * inner + i;
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
  PrimitiveCache<std::array<int64_t, 2>, std::pair<dnnl::softmax_forward, dnnl::memory::desc>> cache_;
};

class ReduceMeanKernel : public Kernel {
 public:
  ReduceMeanKernel(std::vector<int64_t> axes, bool keepdims) : axes_(std::move(axes)), keepdims_(keepdims) {}
  // The spatial mean of squeeze-and-excitation blocks reads the convolutions' NHWC output as is:
  // converting it to NCHW first would cost two transposes of the whole tensor.
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value* xp = in[0];
    Value nchw;
    if (xp->nhwc) {
      if (spatial_mean_of_nhwc(*xp, ctx, *out[0])) return;
      nchw = *xp;
      to_nchw(nchw, ctx);
      xp = &nchw;
    }
    const Value& x = *xp;
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
  // Mean over H and W of an NHWC tensor, keeping dims: [N,C,1,1] is laid out the same in both
  // layouts. False when the reduction is another one.
  bool spatial_mean_of_nhwc(const Value& x, ExecContext& ctx, Value& y) const {
    if (x.rank() != 4 || !keepdims_ || axes_.size() != 2) return false;
    std::vector<int64_t> axes = axes_;
    for (auto& a : axes) a = normalize_axis(a, 4, "ReduceMean");
    std::sort(axes.begin(), axes.end());
    if (axes[0] != 2 || axes[1] != 3) return false;
    const int64_t n = x.shape[0], c = x.shape[1], pixels = x.shape[2] * x.shape[3];
    alloc_float(y, {n, c, 1, 1}, ctx);
    const float* s = x.f.data();
    float* d = y.f.data();
    const float inv = 1.f / static_cast<float>(pixels);
#pragma omp parallel for if (n * pixels * c > kParallelThreshold)
    for (int64_t b = 0; b < n; ++b) {
      float* acc = d + b * c;
      std::fill(acc, acc + c, 0.f);
      const float* ps = s + b * pixels * c;
      for (int64_t p = 0; p < pixels; ++p)
        for (int64_t ch = 0; ch < c; ++ch) acc[ch] += ps[p * c + ch];
      for (int64_t ch = 0; ch < c; ++ch) acc[ch] *= inv;
    }
    return true;
  }

  std::vector<int64_t> axes_;
  bool keepdims_;
};

std::unique_ptr<Kernel> make_softmax(const NodeInfo& n) {
  Attrs a(n, {"axis"});
  return std::make_unique<SoftmaxKernel>(a.i("axis", n.opset >= 13 ? -1 : 1), n.opset < 13);
}

std::unique_ptr<Kernel> make_reduce_mean(const NodeInfo& n) {
  Attrs a(n, {"axes", "keepdims"});
  return std::make_unique<ReduceMeanKernel>(a.ints("axes", {}), a.i("keepdims", 1) != 0);
}

constexpr OpEntry kOps[] = {{"Softmax", make_softmax}, {"ReduceMean", make_reduce_mean}};

}  // namespace

std::span<const OpEntry> reduce_ops() { return kOps; }

}  // namespace edgeocr::runtime::detail
