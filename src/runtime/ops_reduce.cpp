// Reductions and normalisation along an axis: Softmax, ReduceMean.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace edgeocr::runtime::detail {
namespace {

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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
