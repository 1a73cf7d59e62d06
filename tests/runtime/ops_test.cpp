// Per-operator tests of the runtime against hand-computed results. Several cases run a
// convolution first so that the NHWC layout and the conv fusion paths are exercised too.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "onnx_builder.h"
#include "reference.h"
#include "runtime/runtime.h"

using edgeocr::runtime::Model;
using edgeocr::runtime::Session;
using edgeocr::runtime::ModelError;
using edgeocr::runtime::Tensor;
using edgeocr::runtime::testing::OnnxBuilder;
using edgeocr::runtime::testing::expect_near;
using edgeocr::runtime::testing::iota_values;
using edgeocr::runtime::testing::ref_conv;
using edgeocr::runtime::testing::run;

TEST(RuntimeOps, ConvMatchesDirectConvolution) {
  const int c = 4, h = 7, w = 9, co = 8;
  auto x = iota_values(c * h * w, -1.f, 0.01f);
  auto wt = iota_values(co * c * 9, 0.5f, -0.003f);
  auto bias = iota_values(co, -0.2f, 0.05f);
  OnnxBuilder b;
  b.input("x", {1, c, -1, -1}).constant("w", {co, c, 3, 3}, wt).constant("b", {co}, bias);
  auto& n = b.node("Conv", {"x", "w", "b"}, {"y"});
  OnnxBuilder::attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(n, "strides", std::vector<int64_t>{2, 2});
  b.output("y");
  auto out = run(b, {Tensor({1, c, h, w}, x)});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, co, 4, 5}));
  expect_near(out[0].data, ref_conv(x, c, h, w, wt, co, 3, 1, 2, 1, bias), 1e-3f);
}

TEST(RuntimeOps, DepthwiseAndGroupedConv) {
  const int c = 6, h = 5, w = 6;
  auto x = iota_values(c * h * w, 0.f, 0.1f);
  auto dw = iota_values(c * 9, 1.f, -0.1f);
  OnnxBuilder b;
  b.input("x", {1, c, -1, -1}).constant("w", {c, 1, 3, 3}, dw);
  auto& n = b.node("Conv", {"x", "w"}, {"y"});
  OnnxBuilder::attr(n, "group", int64_t{c});
  OnnxBuilder::attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.output("y");
  auto out = run(b, {Tensor({1, c, h, w}, x)});
  expect_near(out[0].data, ref_conv(x, c, h, w, dw, c, 3, 1, 1, c, {}), 1e-3f);

  auto gw = iota_values(c * 3 * 1, 0.3f, 0.2f);  // group 2: 3 in -> 3 out per group, 1x1
  OnnxBuilder g;
  g.input("x", {1, c, -1, -1}).constant("w", {c, 3, 1, 1}, gw);
  auto& gn = g.node("Conv", {"x", "w"}, {"y"});
  OnnxBuilder::attr(gn, "group", int64_t{2});
  g.output("y");
  auto gout = run(g, {Tensor({1, c, h, w}, x)});
  expect_near(gout[0].data, ref_conv(x, c, h, w, gw, c, 1, 0, 1, 2, {}), 1e-3f);
}

TEST(RuntimeOps, ConvFusesBatchNormScaleShiftAndHardSwish) {
  // Conv -> BN -> Mul(k) -> Add(k) -> x*clip(x+3,0,6)/6 -> Mul(per-channel) -> Add(per-channel):
  // the whole chain becomes one convolution; the result must equal the unfused formula.
  const int c = 2, h = 4, w = 4, co = 3;
  auto x = iota_values(c * h * w, -3.f, 0.2f);
  auto wt = iota_values(co * c, 0.5f, 0.25f);
  const std::vector<float> gamma{1.5f, 0.5f, 2.f}, beta{0.1f, -0.2f, 0.3f}, mean{0.2f, 0.f, -0.5f}, var{1.f, 4.f, 0.25f};
  const std::vector<float> k1{2.f, 1.f, 0.5f}, k2{0.5f, -1.f, 1.f}, m2{1.f, 2.f, 3.f}, a2{-1.f, 0.f, 1.f};
  OnnxBuilder b;
  b.input("x", {1, c, -1, -1}).constant("w", {co, c, 1, 1}, wt);
  b.constant("g", {co}, gamma).constant("be", {co}, beta).constant("m", {co}, mean).constant("v", {co}, var);
  b.constant("k1", {co, 1, 1}, k1).constant("k2", {1, co, 1, 1}, k2).constant("three", {1}, {3.f});
  b.constant("zero", {1}, {0.f}).constant("six", {1}, {6.f}).constant("m2", {co, 1, 1}, m2).constant("a2", {co, 1, 1}, a2);
  b.node("Conv", {"x", "w"}, {"c0"});
  b.node("BatchNormalization", {"c0", "g", "be", "m", "v"}, {"bn"});
  b.node("Mul", {"k1", "bn"}, {"s1"});
  b.node("Add", {"s1", "k2"}, {"s2"});
  b.node("Add", {"s2", "three"}, {"p3"});
  b.node("Clip", {"p3", "zero", "six"}, {"cl"});
  b.node("Mul", {"s2", "cl"}, {"hm"});
  b.node("Div", {"hm", "six"}, {"hs"});
  b.node("Mul", {"m2", "hs"}, {"o1"});
  b.node("Add", {"o1", "a2"}, {"y"});
  b.output("y");
  auto out = run(b, {Tensor({1, c, h, w}, x)});
  std::vector<float> want;
  for (int o = 0; o < co; ++o)
    for (int p = 0; p < h * w; ++p) {
      float v = wt[o * c] * x[p] + wt[o * c + 1] * x[h * w + p];
      v = (v - mean[o]) / std::sqrt(var[o] + 1e-5f) * gamma[o] + beta[o];
      v = v * k1[o] + k2[o];
      v = v * std::clamp(v + 3.f, 0.f, 6.f) / 6.f;
      want.push_back(v * m2[o] + a2[o]);
    }
  expect_near(out[0].data, want, 1e-4f);
}

TEST(RuntimeOps, ConvFusesSwishReluAndHardSigmoid) {
  const int c = 1, h = 3, w = 3;
  auto x = iota_values(h * w, -2.f, 0.5f);
  OnnxBuilder b;
  b.input("x", {1, c, -1, -1}).constant("w", {1, 1, 1, 1}, {1.5f}).constant("beta", {1}, {1.702f});
  b.node("Conv", {"x", "w"}, {"c0"});
  b.node("Mul", {"c0", "beta"}, {"bx"});
  b.node("Sigmoid", {"bx"}, {"sg"});
  b.node("Mul", {"c0", "sg"}, {"sw"});  // swish with beta
  b.constant("w2", {1, 1, 1, 1}, {-1.f});
  b.node("Conv", {"sw", "w2"}, {"c1"});
  b.node("Relu", {"c1"}, {"r"});
  b.constant("w3", {1, 1, 1, 1}, {2.f});
  b.node("Conv", {"x", "w3"}, {"c2"});
  auto& hs = b.node("HardSigmoid", {"c2"}, {"hsig"});
  OnnxBuilder::attr(hs, "alpha", 0.2f);
  OnnxBuilder::attr(hs, "beta", 0.5f);
  b.output("sw").output("r").output("hsig");
  auto out = run(b, {Tensor({1, c, h, w}, x)});
  std::vector<float> sw, r, hsig;
  for (float v : x) {
    const float z = 1.5f * v;
    sw.push_back(z / (1.f + std::exp(-1.702f * z)));
    r.push_back(std::max(0.f, -sw.back()));
    hsig.push_back(std::clamp(0.2f * 2.f * v + 0.5f, 0.f, 1.f));
  }
  expect_near(out[0].data, sw);
  expect_near(out[1].data, r);
  expect_near(out[2].data, hsig);
}

TEST(RuntimeOps, BroadcastBetweenNhwcActivationsAndPlainTensors) {
  // Conv output (NHWC inside the runtime) times a per-channel gate computed at run time
  // (squeeze-excitation), plus a full plain tensor, then reshaped (forces NCHW).
  const int c = 3, h = 2, w = 4;
  auto x = iota_values(c * h * w, 0.f, 0.5f);
  auto other = iota_values(c * h * w, 10.f, -1.f);
  OnnxBuilder b;
  b.input("x", {1, c, h, w}).input("other", {1, c, h, w}).constant("w", {c, c, 1, 1}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  b.node("Conv", {"x", "w"}, {"cv"});
  b.node("GlobalAveragePool", {"x"}, {"gap"});
  b.node("Mul", {"cv", "gap"}, {"se"});
  b.node("Add", {"se", "other"}, {"sum"});
  b.node("Sub", {"sum", "cv"}, {"diff"});
  b.output("diff").output("gap");
  auto out = run(b, {Tensor({1, c, h, w}, x), Tensor({1, c, h, w}, other)});
  std::vector<float> gap(c, 0.f), want;
  for (int ch = 0; ch < c; ++ch) {
    for (int p = 0; p < h * w; ++p) gap[ch] += x[ch * h * w + p];
    gap[ch] /= h * w;
  }
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < h * w; ++p) {
      const float v = x[ch * h * w + p];
      want.push_back(v * gap[ch] + other[ch * h * w + p] - v);
    }
  expect_near(out[0].data, want);
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, c, 1, 1}));
  expect_near(out[1].data, gap);
}

TEST(RuntimeOps, ElementwiseArithmetic) {
  OnnxBuilder b;
  b.input("a", {2, 3}).input("b", {3}).constant("two", {}, {2.f});
  b.node("Div", {"a", "b"}, {"q"});
  b.node("Pow", {"a", "two"}, {"sq"});
  b.node("Sqrt", {"sq"}, {"rt"});
  b.node("Sigmoid", {"b"}, {"sg"});
  b.output("q").output("rt").output("sg");
  const std::vector<float> a{1, -2, 3, 4, 5, -6}, bv{2, 4, 8};
  auto out = run(b, {Tensor({2, 3}, a), Tensor({3}, bv)});
  expect_near(out[0].data, {0.5f, -0.5f, 0.375f, 2.f, 1.25f, -0.75f});
  expect_near(out[1].data, {1, 2, 3, 4, 5, 6});
  expect_near(out[2].data, {1 / (1 + std::exp(-2.f)), 1 / (1 + std::exp(-4.f)), 1 / (1 + std::exp(-8.f))});
}

TEST(RuntimeOps, ClipAttributeFormAndStandaloneBatchNorm) {
  OnnxBuilder b(9);
  b.input("x", {1, 2, 1, 2}).constant("g", {2}, {2.f, 1.f}).constant("be", {2}, {0.f, 1.f});
  b.constant("m", {2}, {1.f, 0.f}).constant("v", {2}, {1.f, 1.f});
  auto& n = b.node("Clip", {"x"}, {"c"});
  OnnxBuilder::attr(n, "min", 0.f);
  OnnxBuilder::attr(n, "max", 6.f);
  b.node("BatchNormalization", {"x", "g", "be", "m", "v"}, {"bn"});
  b.output("c").output("bn");
  auto out = run(b, {Tensor({1, 2, 1, 2}, {-1.f, 3.f, 7.f, 2.f})});
  expect_near(out[0].data, {0.f, 3.f, 6.f, 2.f});
  const float s = 1.f / std::sqrt(1.f + 1e-5f);
  expect_near(out[1].data, {2 * (-2.f) * s, 2 * 2.f * s, 7.f * s + 1, 2.f * s + 1});
}

TEST(RuntimeOps, PoolingOps) {
  auto x = iota_values(16);
  OnnxBuilder b;
  b.input("x", {1, 1, 4, 4});
  auto& mp = b.node("MaxPool", {"x"}, {"mp"});
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "strides", std::vector<int64_t>{2, 2});
  auto& ap = b.node("AveragePool", {"x"}, {"ap"});
  OnnxBuilder::attr(ap, "kernel_shape", std::vector<int64_t>{3, 2});
  OnnxBuilder::attr(ap, "strides", std::vector<int64_t>{3, 2});
  b.node("GlobalAveragePool", {"x"}, {"gap"});
  b.output("mp").output("ap").output("gap");
  auto out = run(b, {Tensor({1, 1, 4, 4}, x)});
  expect_near(out[0].data, {5, 7, 13, 15});
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, 1, 1, 2}));
  expect_near(out[1].data, {(0 + 1 + 4 + 5 + 8 + 9) / 6.f, (2 + 3 + 6 + 7 + 10 + 11) / 6.f});
  expect_near(out[2].data, {7.5f});
}

TEST(RuntimeOps, ConvTransposeStride2) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2}).constant("w", {1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -4});
  auto& n = b.node("ConvTranspose", {"x", "w"}, {"y"});
  OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(n, "strides", std::vector<int64_t>{2, 2});
  b.output("y");
  auto out = run(b, {Tensor({1, 1, 2, 2}, {1, 2, 3, 4})});
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 2, 4, 4}));
  // Each input pixel v paints v*kernel into its 2x2 output block.
  std::vector<float> want(32);
  const float xv[4] = {1, 2, 3, 4};
  const float k[2][4] = {{1, 2, 3, 4}, {-1, -2, -3, -4}};
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int a = 0; a < 2; ++a)
          for (int bb = 0; bb < 2; ++bb) want[(o * 4 + 2 * i + a) * 4 + 2 * j + bb] = xv[i * 2 + j] * k[o][a * 2 + bb];
  expect_near(out[0].data, want);
}

TEST(RuntimeOps, ResizeNearestAndChannelConcatAfterConv) {
  OnnxBuilder b;
  b.input("x", {1, 2, 2, 2}).constant("w", {2, 2, 1, 1}, {1, 0, 0, 1});
  b.constant("roi", {0}, {}).constant("scales", {4}, {1, 1, 2, 2});
  b.node("Conv", {"x", "w"}, {"cv"});
  auto& rs = b.node("Resize", {"cv", "roi", "scales"}, {"up"});
  OnnxBuilder::attr(rs, "mode", std::string("nearest"));
  OnnxBuilder::attr(rs, "coordinate_transformation_mode", std::string("asymmetric"));
  OnnxBuilder::attr(rs, "nearest_mode", std::string("floor"));
  b.node("Conv", {"up", "w"}, {"cv2"});
  auto& cc = b.node("Concat", {"cv2", "up"}, {"cat"});
  OnnxBuilder::attr(cc, "axis", int64_t{1});
  b.output("cat");
  auto out = run(b, {Tensor({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})});
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 4, 4, 4}));
  std::vector<float> plane0{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  std::vector<float> plane1{5, 5, 6, 6, 5, 5, 6, 6, 7, 7, 8, 8, 7, 7, 8, 8};
  std::vector<float> want;
  for (auto* p : {&plane0, &plane1, &plane0, &plane1}) want.insert(want.end(), p->begin(), p->end());
  expect_near(out[0].data, want);
}

TEST(RuntimeOps, MatMulSoftmaxReduceMean) {
  OnnxBuilder b;
  b.input("a", {2, 2, 3}).constant("w", {3, 2}, {1, 0, 0, 1, 1, 1}).input("q", {2, 3, 2});
  b.node("MatMul", {"a", "w"}, {"lin"});
  b.node("MatMul", {"a", "q"}, {"bmm"});
  auto& sm = b.node("Softmax", {"lin"}, {"sm"});
  OnnxBuilder::attr(sm, "axis", int64_t{2});
  auto& rm = b.node("ReduceMean", {"a"}, {"mean"});
  OnnxBuilder::attr(rm, "axes", std::vector<int64_t>{-1});
  b.output("lin").output("bmm").output("sm").output("mean");
  const std::vector<float> a{1, 2, 3, 4, 5, 6, 0, 1, 0, 1, 0, -1};
  const std::vector<float> q{1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 0, 0};
  auto out = run(b, {Tensor({2, 2, 3}, a), Tensor({2, 3, 2}, q)});
  expect_near(out[0].data, {4, 5, 10, 11, 0, 1, 0, -1});
  expect_near(out[1].data, {4, 5, 10, 11, 0, 2, 2, 0});
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 2, 2}));
  const float e = 1.f / (1.f + std::exp(1.f));
  expect_near(out[2].data, {e, 1 - e, e, 1 - e, e, 1 - e, 1 - e, e});
  EXPECT_EQ(out[3].shape, (std::vector<int64_t>{2, 2, 1}));
  expect_near(out[3].data, {2, 5, 1.f / 3, 0});
}

TEST(RuntimeOps, ShapeArithmeticReshapeTransposeSliceGather) {
  // The recognizer's pattern: Shape -> Cast -> Slice -> Concat -> Reshape, then Transpose.
  OnnxBuilder b(11);
  b.input("x", {-1, 2, 3});
  b.constant_i64("s0", {1}, {0}).constant_i64("e1", {1}, {1}).constant_i64("ax0", {1}, {0});
  b.constant_i64("tail", {2}, {3, -1}).constant_i64("idx", {2}, {2, 0});
  b.node("Shape", {"x"}, {"shp"});
  auto& cast = b.node("Cast", {"shp"}, {"shp32"});
  OnnxBuilder::attr(cast, "to", int64_t{6});
  b.node("Slice", {"shp32", "s0", "e1", "ax0"}, {"batch"});
  auto& cc = b.node("Concat", {"batch", "tail"}, {"newshape"});
  OnnxBuilder::attr(cc, "axis", int64_t{0});
  b.node("Reshape", {"x", "newshape"}, {"r"});
  auto& tr = b.node("Transpose", {"r"}, {"t"});
  OnnxBuilder::attr(tr, "perm", std::vector<int64_t>{0, 2, 1});
  auto& g = b.node("Gather", {"t", "idx"}, {"g"});
  OnnxBuilder::attr(g, "axis", int64_t{2});
  auto& us = b.node("Unsqueeze", {"g"}, {"u"});
  OnnxBuilder::attr(us, "axes", std::vector<int64_t>{0});
  auto& sq = b.node("Squeeze", {"u"}, {"s"});
  OnnxBuilder::attr(sq, "axes", std::vector<int64_t>{0});
  b.output("t").output("s");
  auto out = run(b, {Tensor({1, 2, 3}, iota_values(6))});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 2, 3}));
  expect_near(out[0].data, {0, 2, 4, 1, 3, 5});
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, 2, 2}));
  expect_near(out[1].data, {4, 0, 5, 1});
}

TEST(RuntimeOps, SliceAttributeFormOpset9) {
  OnnxBuilder b(9);
  b.input("x", {2, 4});
  auto& s = b.node("Slice", {"x"}, {"y"});
  OnnxBuilder::attr(s, "starts", std::vector<int64_t>{1});
  OnnxBuilder::attr(s, "ends", std::vector<int64_t>{-1});
  OnnxBuilder::attr(s, "axes", std::vector<int64_t>{1});
  b.output("y");
  auto out = run(b, {Tensor({2, 4}, iota_values(8))});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 2}));
  expect_near(out[0].data, {1, 2, 5, 6});
}

TEST(RuntimeOps, SoftmaxLongRowsMatchDoublePrecision) {
  // Rows as long as the recognizer's 6,625 classes, with a wide value range: the vectorised
  // exp and the blocked max/sum must agree with a float64 softmax.
  const int64_t rows = 3, len = 6625;
  std::vector<float> x(static_cast<size_t>(rows * len));
  for (size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(std::sin(0.37 * k) * 40.0 - (k % 7 == 0 ? 90.0 : 0.0));
  OnnxBuilder b;
  b.input("x", {rows, len});
  auto& sm = b.node("Softmax", {"x"}, {"y"});
  OnnxBuilder::attr(sm, "axis", int64_t{-1});
  b.output("y");
  auto out = run(b, {Tensor({rows, len}, x)});
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -1e300, sum = 0;
    for (int64_t k = 0; k < len; ++k) mx = std::max(mx, static_cast<double>(x[r * len + k]));
    for (int64_t k = 0; k < len; ++k) sum += std::exp(x[r * len + k] - mx);
    for (int64_t k = 0; k < len; ++k) {
      const double want = std::exp(x[r * len + k] - mx) / sum;
      ASSERT_NEAR(out[0].data[r * len + k], want, 1e-6 * want + 1e-12) << "row " << r << " class " << k;
    }
  }
}

TEST(RuntimeOps, SliceOfInnerBlocksAndSteps) {
  // [2,3,4,5]: axis 1 from 1, axis 2 every 2nd from 0 (runs of 5 contiguous floats), and a
  // slice of the last axis (runs of 3), against index arithmetic.
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4, 5});
  b.constant_i64("s", {2}, {1, 0}).constant_i64("e", {2}, {3, 4}).constant_i64("a", {2}, {1, 2});
  b.constant_i64("st", {2}, {1, 2});
  b.constant_i64("s2", {1}, {1}).constant_i64("e2", {1}, {4}).constant_i64("a2", {1}, {3});
  b.node("Slice", {"x", "s", "e", "a", "st"}, {"y"});
  b.node("Slice", {"x", "s2", "e2", "a2"}, {"z"});
  b.output("y").output("z");
  auto out = run(b, {Tensor({2, 3, 4, 5}, iota_values(120))});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 2, 2, 5}));
  std::vector<float> want_y, want_z;
  for (int n = 0; n < 2; ++n)
    for (int c = 1; c < 3; ++c)
      for (int h = 0; h < 4; h += 2)
        for (int w = 0; w < 5; ++w) want_y.push_back(static_cast<float>(((n * 3 + c) * 4 + h) * 5 + w));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int h = 0; h < 4; ++h)
        for (int w = 1; w < 4; ++w) want_z.push_back(static_cast<float>(((n * 3 + c) * 4 + h) * 5 + w));
  expect_near(out[0].data, want_y);
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 3, 4, 3}));
  expect_near(out[1].data, want_z);
}

TEST(RuntimeOps, HardSwishAndErfStandaloneAndFusedIntoConv) {
  // HardSwish (opset 14) as a node on its own and right after a convolution (fused as a
  // post-op), and Erf as in GELU = x/2 * (1 + erf(x/sqrt 2)).
  const std::vector<float> x{-4.f, -3.f, -1.5f, -0.5f, 0.f, 0.5f, 1.5f, 3.f, 4.f};
  OnnxBuilder b(14);
  b.input("x", {1, 1, 3, 3}).constant("w", {1, 1, 1, 1}, {2.f}).constant("bias", {1}, {0.5f});
  b.node("HardSwish", {"x"}, {"hs"});
  b.node("Conv", {"x", "w", "bias"}, {"c"});
  b.node("HardSwish", {"c"}, {"chs"});
  b.node("Erf", {"x"}, {"erf"});
  b.output("hs").output("chs").output("erf");
  auto out = run(b, {Tensor({1, 1, 3, 3}, x)});
  // Hand-computed: hardswish(v) = v * min(max(v + 3, 0), 6) / 6.
  expect_near(out[0].data, {-0.f, -0.f, -0.375f, -0.2083333f, 0.f, 0.2916667f, 1.125f, 3.f, 4.f});
  // conv: 2x + 0.5 = -7.5 -5.5 -2.5 -0.5 0.5 1.5 3.5 6.5 8.5
  expect_near(out[1].data, {-0.f, -0.f, -0.2083333f, -0.2083333f, 0.2916667f, 1.125f, 3.5f, 6.5f, 8.5f});
  // erf from tables: erf(0.5) = 0.5204999, erf(1.5) = 0.9661051, erf(3) = 0.9999779, erf(4) = 0.99999998.
  expect_near(out[2].data, {-1.f, -0.9999779f, -0.9661051f, -0.5204999f, 0.f, 0.5204999f, 0.9661051f, 0.9999779f, 1.f},
              1e-6f);
}

TEST(RuntimeOps, GeluFormulaBecomesOneOpAlsoAfterAConv) {
  // x * (1 + erf(x / sqrt 2)) * 0.5 as exporters write it, once on the input and once on a
  // convolution's output (where it becomes the convolution's post-op), and the opset-20 Gelu op.
  const std::vector<float> x{-3.f, -1.f, -0.5f, 0.f, 0.5f, 1.f, 2.f, 3.f};
  OnnxBuilder b(14);
  b.input("x", {1, 1, 2, 4}).constant("w", {1, 1, 1, 1}, {-1.f}).constant("sqrt2", {1}, {1.41421356f});
  b.constant("one", {1}, {1.f}).constant("half", {1}, {0.5f});
  auto gelu_formula = [&](const std::string& in, const std::string& out) {
    b.node("Div", {in, "sqrt2"}, {out + "_d"});
    b.node("Erf", {out + "_d"}, {out + "_e"});
    b.node("Add", {out + "_e", "one"}, {out + "_a"});
    b.node("Mul", {in, out + "_a"}, {out + "_m"});
    b.node("Mul", {out + "_m", "half"}, {out});
  };
  gelu_formula("x", "g");
  b.node("Conv", {"x", "w"}, {"c"});
  gelu_formula("c", "cg");
  b.output("g").output("cg");
  auto out = run(b, {Tensor({1, 1, 2, 4}, x)});
  // gelu(v) = v/2 * (1 + erf(v / sqrt 2)); erf(1/sqrt2) = 0.6826895, erf(0.5/sqrt2) = 0.3829249,
  // erf(2/sqrt2) = 0.9544997, erf(3/sqrt2) = 0.9973002.
  const std::vector<float> gelu{-0.0040497f, -0.1586553f, -0.1542688f, 0.f, 0.3457312f, 0.8413447f, 1.9544997f, 2.9959503f};
  expect_near(out[0].data, gelu, 2e-6f);
  // The convolution gives -x: 3 1 0.5 0 -0.5 -1 -2 -3.
  expect_near(out[1].data, {gelu[7], 0.8413447f, 0.3457312f, 0.f, -0.1542688f, -0.1586553f, -0.0455003f, -0.0040497f}, 2e-6f);
}

TEST(RuntimeOps, AutoPadSameUpperConvAndMaxPool) {
  // SAME_UPPER with a 2x2 kernel and stride 1 pads one pixel at the bottom/right only, so the
  // output keeps the input size (as PP-OCRv6's stem does).
  const auto x = iota_values(9, 1.f);  // 1..9 in a 3x3 image
  OnnxBuilder b(14);
  b.input("x", {1, 1, 3, 3}).constant("w", {1, 1, 2, 2}, {1.f, 1.f, 1.f, 1.f});
  auto& conv = b.node("Conv", {"x", "w"}, {"c"});
  OnnxBuilder::attr(conv, "auto_pad", std::string("SAME_UPPER"));
  OnnxBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{2, 2});
  auto& pool = b.node("MaxPool", {"x"}, {"p"});
  OnnxBuilder::attr(pool, "auto_pad", std::string("SAME_UPPER"));
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{1, 1});
  b.output("c").output("p");
  auto out = run(b, {Tensor({1, 1, 3, 3}, x)});
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 1, 3, 3}));
  // Sums of each 2x2 window anchored at the pixel; the window runs off the bottom/right edge.
  expect_near(out[0].data, {12, 16, 9, 24, 28, 15, 15, 17, 9});
  ASSERT_EQ(out[1].shape, (std::vector<int64_t>{1, 1, 3, 3}));
  expect_near(out[1].data, {5, 6, 6, 8, 9, 9, 8, 9, 9});
}

TEST(RuntimeErrors, AutoPadSameWithStrideIsRefused) {
  OnnxBuilder b(14);
  b.input("x", {1, 1, 4, 4}).constant("w", {1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto& conv = b.node("Conv", {"x", "w"}, {"y"});
  OnnxBuilder::attr(conv, "auto_pad", std::string("SAME_LOWER"));
  OnnxBuilder::attr(conv, "strides", std::vector<int64_t>{2, 2});
  b.output("y");
  const auto path = b.save();
  try {
    Model::load(path, {1});
    ADD_FAILURE() << "a strided SAME convolution was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("stride"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(RuntimeOps, ReshapeAllowZeroAndIdentityChains) {
  // allowzero=0 (opset 14 exporters write it): 0 copies the input dimension. Identity nodes
  // are bypassed, including one between a convolution and its ReLU, which must still apply.
  const auto x = iota_values(8, -4.f);
  OnnxBuilder b(14);
  b.input("x", {1, 2, 2, 2}).constant("w", {2, 2, 1, 1}, {1.f, 0.f, 0.f, -1.f});
  b.constant_i64("shape", {3}, {0, 2, -1});
  b.node("Identity", {"x"}, {"xi"});
  b.node("Conv", {"xi", "w"}, {"c"});
  b.node("Identity", {"c"}, {"ci"});
  b.node("Relu", {"ci"}, {"r"});
  auto& reshape = b.node("Reshape", {"r", "shape"}, {"y"});
  OnnxBuilder::attr(reshape, "allowzero", int64_t{0});
  b.node("Identity", {"y"}, {"out"});
  b.output("out");
  auto out = run(b, {Tensor({1, 2, 2, 2}, x)});
  ASSERT_EQ(out[0].shape, (std::vector<int64_t>{1, 2, 4}));
  // channel 0 = relu(x[0..3]) = relu(-4,-3,-2,-1); channel 1 = relu(-x[4..7]) = relu(0,-1,-2,-3).
  expect_near(out[0].data, {0, 0, 0, 0, 0, 0, 0, 0});
  auto out2 = run(b, {Tensor({1, 2, 2, 2}, iota_values(8, -2.f))});
  // channel 0 = relu(-2,-1,0,1); channel 1 = relu(-(2,3,4,5)).
  expect_near(out2[0].data, {0, 0, 0, 1, 0, 0, 0, 0});
}

TEST(RuntimeErrors, UnsupportedOpNamesTheNode) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("LSTM", {"x"}, {"y"}).set_name("my_lstm");
  b.output("y");
  try {
    run(b, {Tensor({1, 4})});
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("my_lstm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("LSTM"), std::string::npos) << e.what();
  }
}

TEST(RuntimeErrors, UnsupportedAttributeValueIsRefused) {
  OnnxBuilder b;
  b.input("x", {1, 1, 4, 4}).constant("roi", {0}, {}).constant("scales", {4}, {1, 1, 2, 2});
  auto& rs = b.node("Resize", {"x", "roi", "scales"}, {"y"});
  rs.set_name("bilinear_up");
  OnnxBuilder::attr(rs, "mode", std::string("linear"));
  b.output("y");
  try {
    run(b, {Tensor({1, 1, 4, 4})});
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("bilinear_up"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mode"), std::string::npos) << e.what();
  }
}

TEST(RuntimeErrors, UnknownAttributeIsRefused) {
  OnnxBuilder b;
  b.input("x", {1, 4});
  auto& n = b.node("Relu", {"x"}, {"y"});
  n.set_name("odd_relu");
  OnnxBuilder::attr(n, "mystery", int64_t{1});
  b.output("y");
  EXPECT_THROW(run(b, {Tensor({1, 4})}), ModelError);
}

TEST(RuntimeErrors, MissingAndCorruptModelFiles) {
  EXPECT_THROW(Model::load("/nonexistent/model.onnx"), ModelError);
  const auto path = std::filesystem::temp_directory_path() / "edgeocr_garbage.onnx";
  {
    std::ofstream f(path, std::ios::binary);
    f << "this is not a protobuf \xff\xfe\x01";
  }
  EXPECT_THROW(Model::load(path), ModelError);
  std::filesystem::remove(path);
}

TEST(RuntimeErrors, WrongInputShapeIsAClearError) {
  OnnxBuilder b;
  b.input("x", {-1, 3, 48, -1});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  const auto path = b.save();
  Session model(Model::load(path));
  std::filesystem::remove(path);
  EXPECT_THROW(model.run({Tensor({1, 3, 32, 10})}), ModelError);  // fixed dim differs
  EXPECT_THROW(model.run({Tensor({3, 48, 10})}), ModelError);     // wrong rank
  EXPECT_THROW(model.run({}), ModelError);                          // missing input
  auto ok = model.run({Tensor({2, 3, 48, 5})});
  EXPECT_EQ(ok[0].shape, (std::vector<int64_t>{2, 3, 48, 5}));
}
