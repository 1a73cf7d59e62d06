// Shape and data-movement kernels (plain layout): Shape, Cast, Reshape, Squeeze/Unsqueeze,
// Flatten, Transpose, Concat, Slice, Gather, nearest Resize.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace edgeocr::runtime::detail {
namespace {

// ---------------------------------------------------------------------------------------
// Shape and data movement (NCHW / plain layout)

class ShapeKernel : public Kernel {
 public:
  bool accepts_nhwc() const override { return true; }  // reads the logical shape only
  void run(ExecContext&, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    alloc_int(*out[0], {in[0]->rank()});
    std::copy(in[0]->shape.begin(), in[0]->shape.end(), out[0]->i.begin());
  }
};

class CastKernel : public Kernel {
 public:
  explicit CastKernel(DType to) : to_(to) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
    for (auto& c : converted) c.f = Buffer();
  }

 private:
  int64_t axis_;
};

class SliceKernel : public Kernel {
 public:
  SliceKernel(std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes, bool from_inputs)
      : starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)), from_inputs_(from_inputs) {}
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
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

std::unique_ptr<Kernel> make_shape(const NodeInfo& n) {
  Attrs a(n, {});
  return std::make_unique<ShapeKernel>();
}

std::unique_ptr<Kernel> make_cast(const NodeInfo& n) {
  Attrs a(n, {"to"});
  const int64_t to = a.i("to", 0);
  if (to == onnx::TensorProto::FLOAT) return std::make_unique<CastKernel>(DType::Float);
  if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) return std::make_unique<CastKernel>(DType::Int64);
  fail(n.describe() + ": Cast to type " + std::to_string(to) + " is not supported");
}

std::unique_ptr<Kernel> make_reshape(const NodeInfo& n) {
  Attrs a(n, {"allowzero"});
  return std::make_unique<ReshapeKernel>(a.i("allowzero", 0) != 0);
}

template <bool Unsqueeze>
std::unique_ptr<Kernel> make_squeeze(const NodeInfo& n) {
  Attrs a(n, {"axes"});
  return std::make_unique<SqueezeKernel>(a.ints("axes", {}), Unsqueeze);
}

std::unique_ptr<Kernel> make_flatten(const NodeInfo& n) {
  Attrs a(n, {"axis"});
  return std::make_unique<FlattenKernel>(a.i("axis", 1));
}

std::unique_ptr<Kernel> make_transpose(const NodeInfo& n) {
  Attrs a(n, {"perm"});
  return std::make_unique<TransposeKernel>(a.ints("perm", {}));
}

std::unique_ptr<Kernel> make_concat(const NodeInfo& n) {
  Attrs a(n, {"axis"});
  return std::make_unique<ConcatKernel>(a.i("axis", 0));
}

std::unique_ptr<Kernel> make_slice(const NodeInfo& n) {
  if (n.opset < 10) {
    Attrs a(n, {"starts", "ends", "axes"});
    return std::make_unique<SliceKernel>(a.ints("starts", {}), a.ints("ends", {}), a.ints("axes", {}), false);
  }
  Attrs a(n, {});
  return std::make_unique<SliceKernel>(std::vector<int64_t>{}, std::vector<int64_t>{}, std::vector<int64_t>{}, true);
}

std::unique_ptr<Kernel> make_gather(const NodeInfo& n) {
  Attrs a(n, {"axis"});
  return std::make_unique<GatherKernel>(a.i("axis", 0));
}

constexpr OpEntry kOps[] = {
    {"Shape", make_shape},         {"Cast", make_cast},       {"Reshape", make_reshape},
    {"Squeeze", make_squeeze<false>}, {"Unsqueeze", make_squeeze<true>}, {"Flatten", make_flatten},
    {"Transpose", make_transpose}, {"Concat", make_concat},   {"Slice", make_slice},
    {"Gather", make_gather},       {"Resize", make_resize},
};

}  // namespace

std::span<const OpEntry> shape_ops() { return kOps; }

}  // namespace edgeocr::runtime::detail
