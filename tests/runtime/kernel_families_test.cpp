// Each kernel family on random shapes against a naive reference: convolution and pooling,
// elementwise with broadcasting, shape/data movement, reductions, matmul. Seeds are fixed, so a
// failure reproduces; the shapes cover odd sizes, broadcasting and the NHWC paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "reference.h"

using edgeocr::runtime::Tensor;
using edgeocr::runtime::testing::expect_near;
using edgeocr::runtime::testing::OnnxBuilder;
using edgeocr::runtime::testing::ref_conv;
using edgeocr::runtime::testing::run;

namespace {

constexpr int kTrials = 6;

int pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<float> random_values(std::mt19937& rng, size_t n, float lo = -2.f, float hi = 2.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

int64_t count(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

// Multi-index of flat position `k` in `shape`.
std::vector<int64_t> unflatten(int64_t k, const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = k % shape[d];
    k /= shape[d];
  }
  return idx;
}

}  // namespace

TEST(RuntimeKernelFamilies, ConvolutionAndPoolingOnRandomShapes) {
  std::mt19937 rng(11);
  for (int t = 0; t < kTrials; ++t) {
    const bool depthwise = t % 3 == 2;
    const int c = pick(rng, 1, 9), h = pick(rng, 5, 23), w = pick(rng, 5, 31);
    const int k = std::vector<int>{1, 3, 5}[pick(rng, 0, 2)], stride = pick(rng, 1, 2), pad = pick(rng, 0, k / 2);
    const int co = depthwise ? c : pick(rng, 1, 12), group = depthwise ? c : 1;
    const auto x = random_values(rng, static_cast<size_t>(c) * h * w);
    const auto wt = random_values(rng, static_cast<size_t>(co) * (c / group) * k * k);
    const auto bias = random_values(rng, co);
    OnnxBuilder b;
    b.input("x", {1, c, -1, -1}).constant("w", {co, c / group, k, k}, wt).constant("b", {co}, bias);
    auto& n = b.node("Conv", {"x", "w", "b"}, {"y"});
    OnnxBuilder::attr(n, "pads", std::vector<int64_t>{pad, pad, pad, pad});
    OnnxBuilder::attr(n, "strides", std::vector<int64_t>{stride, stride});
    OnnxBuilder::attr(n, "group", int64_t{group});
    // Max pooling 2x2 stride 1 on the convolution's (NHWC) output.
    OnnxBuilder::attr(b.node("MaxPool", {"y"}, {"p"}), "kernel_shape", std::vector<int64_t>{2, 2});
    b.output("y").output("p");
    const auto out = run(b, {Tensor({1, c, h, w}, x)});
    const int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
    SCOPED_TRACE("trial " + std::to_string(t));
    ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, co, ho, wo}));
    const auto want = ref_conv(x, c, h, w, wt, co, k, pad, stride, group, bias);
    expect_near(out[0].data, want, 2e-3f);
    std::vector<float> pooled;
    for (int o = 0; o < co; ++o)
      for (int i = 0; i + 1 < ho; ++i)
        for (int j = 0; j + 1 < wo; ++j) {
          float m = -INFINITY;
          for (int a = 0; a < 2; ++a)
            for (int bb = 0; bb < 2; ++bb) m = std::max(m, want[(o * ho + i + a) * wo + j + bb]);
          pooled.push_back(m);
        }
    expect_near(out[1].data, pooled, 2e-3f);
  }
}

TEST(RuntimeKernelFamilies, ElementwiseBroadcastingOnRandomShapes) {
  std::mt19937 rng(12);
  const char* ops[] = {"Add", "Sub", "Mul", "Div"};
  for (int t = 0; t < kTrials * 2; ++t) {
    const int rank = pick(rng, 1, 4);
    std::vector<int64_t> sa(rank), sb;
    for (auto& d : sa) d = pick(rng, 1, 7);
    // b: a suffix of a's dimensions, each kept or broadcast (1).
    const int rank_b = pick(rng, 1, rank);
    for (int d = rank - rank_b; d < rank; ++d) sb.push_back(pick(rng, 0, 1) ? sa[d] : 1);
    const std::string op = ops[t % 4];
    const auto a = random_values(rng, count(sa));
    auto bv = random_values(rng, count(sb), 0.5f, 2.f);  // away from 0 for Div
    OnnxBuilder g;
    g.input("a", sa).input("b", sb);
    g.node(op, {"a", "b"}, {"s"});
    g.node("Sigmoid", {"s"}, {"y"});
    g.output("y");
    const auto out = run(g, {Tensor(sa, a), Tensor(sb, bv)});
    SCOPED_TRACE(op + " trial " + std::to_string(t));
    ASSERT_EQ(out[0].shape, sa);
    const auto stb = strides_of(sb);
    std::vector<float> want(a.size());
    for (int64_t k = 0; k < count(sa); ++k) {
      const auto idx = unflatten(k, sa);
      int64_t kb = 0;
      for (size_t d = 0; d < sb.size(); ++d) kb += (sb[d] == 1 ? 0 : idx[rank - sb.size() + d]) * stb[d];
      const double p = a[k], q = bv[kb];
      const double s = op == "Add" ? p + q : op == "Sub" ? p - q : op == "Mul" ? p * q : p / q;
      want[k] = static_cast<float>(1.0 / (1.0 + std::exp(-s)));
    }
    expect_near(out[0].data, want, 1e-5f);
  }
}

TEST(RuntimeKernelFamilies, TransposeConcatAndSliceOnRandomShapes) {
  std::mt19937 rng(13);
  for (int t = 0; t < kTrials; ++t) {
    std::vector<int64_t> shape(4);
    for (auto& d : shape) d = pick(rng, 1, 6);
    std::vector<int64_t> perm{0, 1, 2, 3};
    std::shuffle(perm.begin(), perm.end(), rng);
    const int64_t axis = pick(rng, 0, 3);
    const int64_t start = pick(rng, 0, static_cast<int>(shape[axis]) - 1);
    const auto x = random_values(rng, count(shape));
    OnnxBuilder g;  // y = Slice(Concat(Transpose(x), Transpose(x)) along axis, start:, step 1)
    g.input("x", shape).constant_i64("st", {1}, {start}).constant_i64("en", {1}, {1000}).constant_i64("ax", {1}, {axis});
    OnnxBuilder::attr(g.node("Transpose", {"x"}, {"p"}), "perm", perm);
    OnnxBuilder::attr(g.node("Concat", {"p", "p"}, {"c"}), "axis", axis);
    g.node("Slice", {"c", "st", "en", "ax"}, {"y"});
    g.output("y");
    const auto out = run(g, {Tensor(shape, x)});
    std::vector<int64_t> pshape(4), cshape, yshape;
    for (int d = 0; d < 4; ++d) pshape[d] = shape[perm[d]];
    cshape = pshape;
    cshape[axis] *= 2;
    yshape = cshape;
    yshape[axis] -= start;
    SCOPED_TRACE("trial " + std::to_string(t));
    ASSERT_EQ(out[0].shape, yshape);
    const auto sx = strides_of(shape);
    std::vector<float> want(static_cast<size_t>(count(yshape)));
    for (int64_t k = 0; k < count(yshape); ++k) {
      auto idx = unflatten(k, yshape);
      idx[axis] = (idx[axis] + start) % pshape[axis];  // position in one transposed copy
      int64_t src = 0;
      for (int d = 0; d < 4; ++d) src += idx[d] * sx[perm[d]];
      want[k] = x[src];
    }
    expect_near(out[0].data, want, 0.f);
  }
}

TEST(RuntimeKernelFamilies, SoftmaxAndReduceMeanOnRandomShapes) {
  std::mt19937 rng(14);
  for (int t = 0; t < kTrials; ++t) {
    const int rank = pick(rng, 2, 4);
    std::vector<int64_t> shape(rank);
    for (auto& d : shape) d = pick(rng, 1, 9);
    const int64_t axis = pick(rng, 0, rank - 1);
    const auto x = random_values(rng, count(shape), -5.f, 5.f);
    OnnxBuilder g(13);
    g.input("x", shape);
    OnnxBuilder::attr(g.node("Softmax", {"x"}, {"s"}), "axis", axis);
    auto& r = g.node("ReduceMean", {"x"}, {"m"});
    OnnxBuilder::attr(r, "axes", std::vector<int64_t>{axis});
    OnnxBuilder::attr(r, "keepdims", int64_t{1});
    g.output("s").output("m");
    const auto out = run(g, {Tensor(shape, x)});
    const auto st = strides_of(shape);
    std::vector<float> soft(x.size());
    auto mshape = shape;
    mshape[axis] = 1;
    std::vector<float> mean(static_cast<size_t>(count(mshape)));
    for (int64_t k = 0; k < count(mshape); ++k) {
      const auto idx = unflatten(k, mshape);
      int64_t base = 0;
      for (int d = 0; d < rank; ++d) base += idx[d] * st[d];
      double mx = -INFINITY, sum = 0, total = 0;
      for (int64_t j = 0; j < shape[axis]; ++j) mx = std::max<double>(mx, x[base + j * st[axis]]);
      for (int64_t j = 0; j < shape[axis]; ++j) sum += std::exp(x[base + j * st[axis]] - mx);
      for (int64_t j = 0; j < shape[axis]; ++j) {
        soft[base + j * st[axis]] = static_cast<float>(std::exp(x[base + j * st[axis]] - mx) / sum);
        total += x[base + j * st[axis]];
      }
      mean[k] = static_cast<float>(total / shape[axis]);
    }
    SCOPED_TRACE("trial " + std::to_string(t));
    ASSERT_EQ(out[1].shape, mshape);
    expect_near(out[0].data, soft, 1e-5f);
    expect_near(out[1].data, mean, 1e-5f);
  }
}

TEST(RuntimeKernelFamilies, SpatialMeanOfConvolutionOutputsOnRandomShapes) {
  // Squeeze-and-excitation: the mean over H and W of a convolution's (NHWC) output, then the
  // output scaled by it.
  std::mt19937 rng(16);
  for (int t = 0; t < kTrials; ++t) {
    const int n = pick(rng, 1, 3), c = pick(rng, 1, 40), h = pick(rng, 1, 9), w = pick(rng, 1, 30);
    const auto x = random_values(rng, static_cast<size_t>(n * c * h * w));
    const auto wt = random_values(rng, static_cast<size_t>(c * c));
    OnnxBuilder g(13);
    g.input("x", {n, c, h, w}).constant("w", {c, c, 1, 1}, wt);
    g.node("Conv", {"x", "w"}, {"y"});
    auto& r = g.node("ReduceMean", {"y"}, {"m"});
    OnnxBuilder::attr(r, "axes", t % 2 ? std::vector<int64_t>{-1, -2} : std::vector<int64_t>{2, 3});
    g.node("Mul", {"y", "m"}, {"z"});
    g.output("m").output("z");
    const auto out = run(g, {Tensor({n, c, h, w}, x)});
    std::vector<float> mean, scaled;
    const size_t image = static_cast<size_t>(c) * h * w;
    for (int b = 0; b < n; ++b) {
      const auto y = ref_conv(std::vector<float>(x.begin() + b * image, x.begin() + (b + 1) * image), c, h, w, wt, c, 1, 0, 1,
                              1, std::vector<float>(c, 0.f));
      for (int ch = 0; ch < c; ++ch) {
        double sum = 0;
        for (int p = 0; p < h * w; ++p) sum += y[static_cast<size_t>(ch) * h * w + p];
        mean.push_back(static_cast<float>(sum / (h * w)));
      }
      for (int ch = 0; ch < c; ++ch)
        for (int p = 0; p < h * w; ++p) scaled.push_back(y[static_cast<size_t>(ch) * h * w + p] * mean[b * c + ch]);
    }
    SCOPED_TRACE("trial " + std::to_string(t));
    ASSERT_EQ(out[0].shape, (std::vector<int64_t>{n, c, 1, 1}));
    expect_near(out[0].data, mean, 1e-4f * c);
    expect_near(out[1].data, scaled, 1e-3f * c);
  }
}

TEST(RuntimeKernelFamilies, LinearLayersWithAndWithoutAFoldableBiasOnRandomShapes) {
  std::mt19937 rng(17);
  for (int t = 0; t < 8; ++t) {
    // 0: bias [N]; 1: bias [1, N] added first; 2: a [M, N] addend (not a bias); 3: the product
    // also read by another node; 4: 2-D input; 5: 1-D input; 6: a softmax over the classes
    // after the bias (a classifier; more rows than one block); 7: a softmax over another axis.
    const int variant = t;
    const bool softmax = variant >= 6;
    const int batch = variant == 4 || variant == 5 ? 1 : softmax ? 3 : pick(rng, 1, 3);
    const int m = variant == 5 ? 1 : softmax ? pick(rng, 15, 30) : pick(rng, 1, 17);
    const int k = pick(rng, 1, 33), n = pick(rng, 1, 40);
    const auto a = random_values(rng, static_cast<size_t>(batch * m * k));
    const auto wv = random_values(rng, static_cast<size_t>(k * n));
    const auto bias = random_values(rng, static_cast<size_t>(variant == 2 ? m * n : n));
    std::vector<int64_t> ashape = variant == 5 ? std::vector<int64_t>{k}
                                  : variant == 4 ? std::vector<int64_t>{m, k}
                                                 : std::vector<int64_t>{batch, m, k};
    OnnxBuilder g;
    g.input("a", ashape).constant("w", {k, n}, wv);
    g.constant("b", variant == 1 ? std::vector<int64_t>{1, n} : variant == 2 ? std::vector<int64_t>{m, n} : std::vector<int64_t>{n}, bias);
    g.node("MatMul", {"a", "w"}, {"y"});
    if (variant == 1) g.node("Add", {"b", "y"}, {"out"});
    else g.node("Add", {"y", "b"}, {softmax ? "scores" : "out"});
    if (softmax) OnnxBuilder::attr(g.node("Softmax", {"scores"}, {"out"}), "axis", int64_t{variant == 6 ? 2 : 1});
    g.output("out");
    if (variant == 3) g.output("y");
    const auto out = run(g, {Tensor(ashape, a)});
    std::vector<float> product(static_cast<size_t>(batch * m * n)), want(product.size());
    for (int r = 0; r < batch * m; ++r)
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int q = 0; q < k; ++q) acc += static_cast<double>(a[r * k + q]) * wv[q * n + j];
        product[r * n + j] = static_cast<float>(acc);
        want[r * n + j] = static_cast<float>(acc + bias[variant == 2 ? (r % m) * n + j : j]);
      }
    // Softmax over the classes (last axis) or over the rows of one batch item (axis 1).
    const int groups = variant == 6 ? batch * m : batch * n, len = variant == 6 ? n : m;
    for (int gi = 0; softmax && gi < groups; ++gi) {
      auto at = [&](int e) -> float& {
        return variant == 6 ? want[gi * n + e] : want[(gi / n * m + e) * n + gi % n];
      };
      double mx = -INFINITY, sum = 0;
      for (int e = 0; e < len; ++e) mx = std::max<double>(mx, at(e));
      for (int e = 0; e < len; ++e) sum += std::exp(at(e) - mx);
      for (int e = 0; e < len; ++e) at(e) = static_cast<float>(std::exp(at(e) - mx) / sum);
    }
    SCOPED_TRACE("trial " + std::to_string(t));
    auto wshape = ashape;
    wshape.back() = n;
    if (variant == 2 && ashape.size() == 3) wshape = {batch, m, n};
    ASSERT_EQ(out[0].shape, wshape);
    expect_near(out[0].data, want, softmax ? 1e-5f : 1e-4f * k);
    if (variant == 3) expect_near(out[1].data, product, 1e-4f * k);
  }
}

TEST(RuntimeKernelFamilies, MatMulOnRandomShapes) {
  std::mt19937 rng(15);
  for (int t = 0; t < kTrials; ++t) {
    const int batch = pick(rng, 1, 4), m = pick(rng, 1, 17), k = pick(rng, 1, 33), n = pick(rng, 1, 19);
    const bool constant_rhs = t % 2 == 0;  // [B,M,K] x [K,N] weights, or batched [B,M,K] x [B,K,N]
    const auto a = random_values(rng, static_cast<size_t>(batch) * m * k);
    const auto bv = random_values(rng, static_cast<size_t>(constant_rhs ? 1 : batch) * k * n);
    OnnxBuilder g;
    g.input("a", {batch, m, k});
    if (constant_rhs) g.constant("b", {k, n}, bv);
    else g.input("b", {batch, k, n});
    g.node("MatMul", {"a", "b"}, {"y"});
    g.output("y");
    std::vector<Tensor> inputs{Tensor({batch, m, k}, a)};
    if (!constant_rhs) inputs.emplace_back(std::vector<int64_t>{batch, k, n}, bv);
    const auto out = run(g, inputs);
    std::vector<float> want(static_cast<size_t>(batch) * m * n);
    for (int bi = 0; bi < batch; ++bi)
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
          double acc = 0;
          for (int q = 0; q < k; ++q)
            acc += static_cast<double>(a[(bi * m + i) * k + q]) * bv[((constant_rhs ? 0 : bi) * k + q) * n + j];
          want[(bi * m + i) * n + j] = static_cast<float>(acc);
        }
    SCOPED_TRACE("trial " + std::to_string(t));
    ASSERT_EQ(out[0].shape, (std::vector<int64_t>{batch, m, n}));
    expect_near(out[0].data, want, 1e-4f * k);
  }
}
