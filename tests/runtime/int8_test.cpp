// Int8 convolutions and linear layers against the naive float reference at random shapes, and
// the int8 table's checks (the model's hash, malformed lines). On a CPU without VNNI the runtime keeps float32,
// which the tests check instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "reference.h"

using edgeocr::runtime::Model;
using edgeocr::runtime::ModelError;
using edgeocr::runtime::Session;
using edgeocr::runtime::Tensor;
using edgeocr::runtime::testing::OnnxBuilder;
using edgeocr::runtime::testing::ref_conv;

namespace {

namespace fs = std::filesystem;

int pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<float> random_values(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct TempFile {
  fs::path path;
  explicit TempFile(fs::path p) : path(std::move(p)) {}
  ~TempFile() { fs::remove(path); }
};

// Calibrates `model_file` on `calibration` inputs and writes its int8 table.
TempFile calibrate(const fs::path& model_file, const std::vector<Tensor>& calibration) {
  Session recorder(Model::load(model_file, {1}), {.record_int8_ranges = true});
  for (const auto& x : calibration) recorder.run({x});
  TempFile table(fs::path(model_file).replace_extension(".int8"));
  edgeocr::runtime::save_int8_table(model_file, recorder.int8_ranges(), table.path);
  return table;
}

}  // namespace

TEST(RuntimeInt8, DenseConvolutionsMatchTheFloatReferenceWithinQuantisationError) {
  std::mt19937 rng(7);
  for (int t = 0; t < 8; ++t) {
    // Unsigned inputs, then signed ones: with a zero point on 1x1 convolutions, symmetric on
    // padded 3x3 ones (whose zero padding must stay zero).
    const bool non_negative = t % 2 == 0;
    const bool wide = t >= 4;  // as wide as the recognizers' convolutions
    const int c = wide ? pick(rng, 200, 260) : pick(rng, 16, 48), h = pick(rng, 3, 17), w = pick(rng, 5, 40);
    const int batch = wide ? 3 : 1;
    const int co = wide ? pick(rng, 200, 260) : pick(rng, 4, 40);
    const int k = t % 4 < 2 ? 1 : 3, pad = k / 2, stride = pick(rng, 1, 2);
    auto wt = random_values(rng, static_cast<size_t>(co) * c * k * k, -0.5f, 0.5f);
    // Trained models carry channels of denormal weights; such a channel's output is its bias.
    for (int i = 0; i < c * k * k; ++i) wt[i] *= 1e-38f;
    const auto bias = random_values(rng, co, -1.f, 1.f);
    const auto mul = random_values(rng, co, 0.5f, 2.f), add = random_values(rng, co, -1.f, 1.f);
    OnnxBuilder b;
    b.input("x", {-1, c, -1, -1}).constant("w", {co, c, k, k}, wt).constant("b", {co}, bias);
    b.constant("m", {1, co, 1, 1}, mul).constant("a", {1, co, 1, 1}, add);
    auto& n = b.node("Conv", {"x", "w", "b"}, {"y"});
    OnnxBuilder::attr(n, "pads", std::vector<int64_t>{pad, pad, pad, pad});
    OnnxBuilder::attr(n, "strides", std::vector<int64_t>{stride, stride});
    // Fused into the convolution, applied after its output scale: an activation, then a
    // per-channel scale and shift (a folded batch norm), as in the recognizers.
    if (wide) {  // hard-swish, x * HardSigmoid(x)
      auto& hs = b.node("HardSigmoid", {"y"}, {"gate"});
      OnnxBuilder::attr(hs, "alpha", 1.f / 6.f);
      OnnxBuilder::attr(hs, "beta", 0.5f);
      b.node("Mul", {"y", "gate"}, {"r"});
    } else {
      b.node("Relu", {"y"}, {"r"});
    }
    b.node("Mul", {"r", "m"}, {"rm"});
    b.node("Add", {"rm", "a"}, {"out"});
    b.output("out");
    const TempFile model_file(b.save());
    const float lo = non_negative ? 0.f : -2.f, hi = 2.f;
    std::vector<Tensor> calibration;
    for (int s = 0; s < 3; ++s) calibration.emplace_back(std::vector<int64_t>{batch, c, h, w}, random_values(rng, static_cast<size_t>(batch * c) * h * w, lo, hi));
    const TempFile table = calibrate(model_file.path, calibration);
    const Model int8 = Model::load(model_file.path, {2, table.path});
    SCOPED_TRACE("trial " + std::to_string(t) + ": " + std::to_string(c) + "->" + std::to_string(co) + " k" + std::to_string(k));
    if (int8.int8_layers() == 0) GTEST_SKIP() << "this CPU has no VNNI: int8 tables are ignored";
    ASSERT_EQ(int8.int8_layers(), 1);
    const auto x = random_values(rng, static_cast<size_t>(batch * c) * h * w, lo, hi);
    const auto got = Session(int8).run({Tensor({batch, c, h, w}, x)})[0].data;
    const auto fp32 = Session(Model::load(model_file.path, {2})).run({Tensor({batch, c, h, w}, x)})[0].data;
    std::vector<float> want;
    const size_t image = static_cast<size_t>(c) * h * w;
    for (int i = 0; i < batch; ++i) {
      const auto one = ref_conv(std::vector<float>(x.begin() + i * image, x.begin() + (i + 1) * image), c, h, w, wt, co, k,
                                pad, stride, 1, bias);
      want.insert(want.end(), one.begin(), one.end());
    }
    const size_t plane = want.size() / static_cast<size_t>(batch * co);
    for (size_t i = 0; i < want.size(); ++i) {
      const float activated = wide ? want[i] * std::clamp(want[i] / 6.f + 0.5f, 0.f, 1.f) : std::max(want[i], 0.f);
      want[i] = activated * mul[i / plane % co] + add[i / plane % co];
    }
    ASSERT_EQ(got.size(), want.size());
    // Error bound of 8-bit rounding: half a step of the input times sum |w|, plus half a step
    // of each channel's weights times sum |x|, over the k*k*c products of one output; times
    // the largest per-channel scale after it.
    const float x_step = (non_negative ? hi / 255.f : hi / 127.f), taps = static_cast<float>(c * k * k);
    const float bound = 2.f * (0.5f * x_step * 0.5f * taps + 0.5f * (0.5f / 127.f) * hi * taps);
    float worst = 0, largest = 0;
    int differs = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << "at " << i;
      worst = std::max(worst, std::fabs(got[i] - want[i]));
      largest = std::max(largest, std::fabs(want[i]));
      differs += got[i] != fp32[i];
    }
    EXPECT_LE(worst, bound);
    EXPECT_LT(worst, 0.05f * (1.f + largest));
    EXPECT_GT(differs, 0) << "the int8 model gave float32's exact results: int8 did not run";
  }
}

TEST(RuntimeInt8, ClassifierLinearLayersMatchTheFloatReferenceWithinQuantisationError) {
  std::mt19937 rng(8);
  for (int t = 0; t < 3; ++t) {
    // A recognizer's classifier: [batch, frames, K] features times [K, classes] plus a bias.
    const int batch = pick(rng, 1, 3), frames = pick(rng, 5, 40), k = pick(rng, 32, 130), n = pick(rng, 1024, 3000);
    auto wt = random_values(rng, static_cast<size_t>(k) * n, -0.5f, 0.5f);
    for (int r = 0; r < k; ++r) wt[static_cast<size_t>(r) * n + 3] *= 1e-38f;  // a denormal column
    const auto bias = random_values(rng, n, -1.f, 1.f);
    OnnxBuilder b;
    b.input("x", {-1, -1, k}).constant("w", {k, n}, wt).constant("b", {n}, bias);
    b.node("MatMul", {"x", "w"}, {"y"});
    b.node("Add", {"b", "y"}, {"out"});  // the bias as the first operand: still folded in
    b.output("out");
    const TempFile model_file(b.save());
    const float lo = -3.f, hi = 2.f;  // signed: quantised with a zero point
    std::vector<Tensor> calibration;
    for (int s = 0; s < 3; ++s)
      calibration.emplace_back(std::vector<int64_t>{batch, frames, k}, random_values(rng, static_cast<size_t>(batch * frames * k), lo, hi));
    const TempFile table = calibrate(model_file.path, calibration);
    const Model int8 = Model::load(model_file.path, {2, table.path});
    SCOPED_TRACE("trial " + std::to_string(t) + ": " + std::to_string(k) + "x" + std::to_string(n));
    if (int8.int8_layers() == 0) GTEST_SKIP() << "this CPU has no VNNI: int8 tables are ignored";
    ASSERT_EQ(int8.int8_layers(), 1);
    const auto x = random_values(rng, static_cast<size_t>(batch * frames * k), lo, hi);
    const Tensor input({batch, frames, k}, x);
    const auto got = Session(int8).run({input})[0];
    const auto fp32 = Session(Model::load(model_file.path, {2})).run({input})[0];
    ASSERT_EQ(got.shape, (std::vector<int64_t>{batch, frames, n}));
    const float x_step = (hi - lo) / 255.f;
    const float bound = 0.5f * x_step * 0.5f * k + 0.5f * (0.5f / 127.f) * 3.f * k;
    float worst = 0, worst_fp32 = 0;
    int differs = 0;
    for (int r = 0; r < batch * frames; ++r)
      for (int c = 0; c < n; ++c) {
        double want = bias[c];
        for (int q = 0; q < k; ++q) want += static_cast<double>(x[static_cast<size_t>(r) * k + q]) * wt[static_cast<size_t>(q) * n + c];
        const size_t i = static_cast<size_t>(r) * n + c;
        ASSERT_TRUE(std::isfinite(got.data[i])) << "at " << i;
        worst = std::max(worst, static_cast<float>(std::fabs(got.data[i] - want)));
        worst_fp32 = std::max(worst_fp32, static_cast<float>(std::fabs(fp32.data[i] - want)));
        differs += got.data[i] != fp32.data[i];
      }
    EXPECT_LE(worst, bound);
    EXPECT_LT(worst_fp32, 1e-3f) << "the float32 linear layer with its folded bias";
    EXPECT_GT(differs, 0) << "the int8 model gave float32's exact results: int8 did not run";
  }
}

TEST(RuntimeInt8, CalibrationRecordsTheInputRangeOfDenseConvolutionsOnImagesOnly) {
  OnnxBuilder b;
  b.input("x", {1, 16, -1, -1})
      .constant("w", {16, 16, 1, 1}, std::vector<float>(256, 0.25f))
      .constant("dw", {16, 1, 3, 3}, std::vector<float>(144, 0.1f))
      .constant("narrow", {16, 16, 1, 1}, std::vector<float>(256, 0.25f));
  b.node("Conv", {"x", "w"}, {"y"});
  auto& depthwise = b.node("Conv", {"y", "dw"}, {"z"});
  OnnxBuilder::attr(depthwise, "group", int64_t{16});
  OnnxBuilder::attr(depthwise, "pads", std::vector<int64_t>{1, 1, 1, 1});
  // A convolution on one pixel, as in squeeze-and-excitation: too small for int8.
  b.node("GlobalAveragePool", {"z"}, {"pooled"});
  b.node("Conv", {"pooled", "narrow"}, {"se"});
  b.output("z").output("se");
  const TempFile model_file(b.save());
  Session recorder(Model::load(model_file.path, {1}), {.record_int8_ranges = true});
  std::vector<float> x(16 * 3 * 5);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 50) - 10.f;
  recorder.run({Tensor({1, 16, 3, 5}, x)});
  x[7] = 100.f;
  recorder.run({Tensor({1, 16, 3, 5}, x)});
  const auto& ranges = recorder.int8_ranges();
  ASSERT_EQ(ranges.size(), 1u) << "only the dense convolution on more than one pixel is recorded";
  ASSERT_TRUE(ranges.count("x"));
  EXPECT_FLOAT_EQ(ranges.at("x").min, -10.f);
  EXPECT_FLOAT_EQ(ranges.at("x").max, 100.f);
  // The table keeps the mean of each run's extremes: the outlier of the second run counts half.
  EXPECT_DOUBLE_EQ(ranges.at("x").mean_min, -10.0);
  EXPECT_DOUBLE_EQ(ranges.at("x").mean_max, (39.0 + 100.0) / 2);
}

TEST(RuntimeInt8, ATableCalibratedForAnotherModelFileIsRefused) {
  auto build = [](float weight) {
    OnnxBuilder b;
    b.input("x", {1, 16, -1, -1}).constant("w", {16, 16, 1, 1}, std::vector<float>(256, weight));
    b.node("Conv", {"x", "w"}, {"y"});
    b.output("y");
    return TempFile(b.save());
  };
  const TempFile first = build(0.5f), second = build(0.25f);
  const TempFile table = calibrate(first.path, {Tensor({1, 16, 2, 2}, std::vector<float>(64, 1.f))});
  try {
    Model::load(second.path, {1, table.path});
    // Without VNNI the table is not read at all.
    EXPECT_EQ(Model::load(first.path, {1, table.path}).int8_layers(), 0);
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("calibrated for another model file"), std::string::npos) << e.what();
  }
}

TEST(RuntimeInt8, AMalformedTableIsAnErrorNamingItsLine) {
  OnnxBuilder b;
  b.input("x", {1, 16, -1, -1}).constant("w", {16, 16, 1, 1}, std::vector<float>(256, 0.5f));
  b.node("Conv", {"x", "w"}, {"y"});
  b.output("y");
  const TempFile model_file(b.save());
  const TempFile table(fs::path(model_file.path).replace_extension(".int8"));
  std::ofstream(table.path) << "# table\nmodel-sha256\t" << std::string(64, 'a') << "\nx\t1\tnot-a-number\n";
  try {
    const Model m = Model::load(model_file.path, {1, table.path});
    EXPECT_EQ(m.int8_layers(), 0);  // no VNNI: the table is never read
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}
