// The runtime on the real PP-OCR models: dynamic shapes, batching consistency, repeatability.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "runtime/runtime.h"

using edgeocr::runtime::Model;
using edgeocr::runtime::Session;
using edgeocr::runtime::Tensor;

namespace {

const std::filesystem::path kModels = EDGEOCR_MODEL_DIR;

Tensor pattern(std::vector<int64_t> shape, unsigned seed) {
  Tensor t(std::move(shape));
  for (size_t k = 0; k < t.data.size(); ++k) t.data[k] = static_cast<float>((k * 2654435761u + seed) % 1000) / 500.f - 1.f;
  return t;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t k = 0; k < n; ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

}  // namespace

TEST(RuntimeModels, RecognizerBatchEqualsSingleRunsAndIsRepeatable) {
  Session rec(Model::load(kModels / "ch_PP-OCRv4_rec_infer.onnx", {2}));
  const Tensor a = pattern({1, 3, 48, 160}, 1), b = pattern({1, 3, 48, 160}, 2);
  Tensor both({2, 3, 48, 160});
  std::copy(a.data.begin(), a.data.end(), both.data.begin());
  std::copy(b.data.begin(), b.data.end(), both.data.begin() + static_cast<long>(a.data.size()));
  const auto ra = rec.run({a})[0];
  const auto rb = rec.run({b})[0];
  const auto rboth = rec.run({both})[0];
  ASSERT_EQ(ra.shape, (std::vector<int64_t>{1, 20, 6625}));
  ASSERT_EQ(rboth.shape, (std::vector<int64_t>{2, 20, 6625}));
  EXPECT_LT(max_abs_diff(ra.data.data(), rboth.data.data(), ra.data.size()), 1e-4f);
  EXPECT_LT(max_abs_diff(rb.data.data(), rboth.data.data() + ra.data.size(), rb.data.size()), 1e-4f);
  // Each frame is a probability distribution.
  double sum = 0;
  for (int k = 0; k < 6625; ++k) sum += ra.data[k];
  EXPECT_NEAR(sum, 1.0, 1e-3);
  // A warm second run with the same input gives the same output (buffer reuse is sound).
  const auto again = rec.run({a})[0];
  EXPECT_EQ(max_abs_diff(ra.data.data(), again.data.data(), ra.data.size()), 0.f);
}

TEST(RuntimeModels, DetectorAndClassifierAcceptDynamicSizes) {
  Session det(Model::load(kModels / "ch_PP-OCRv4_det_infer.onnx", {2}));
  for (auto [h, w] : {std::pair{64, 96}, std::pair{320, 32}, std::pair{128, 128}}) {
    const auto out = det.run({pattern({1, 3, h, w}, 3)})[0];
    ASSERT_EQ(out.shape, (std::vector<int64_t>{1, 1, h, w}));
    for (float v : out.data) ASSERT_TRUE(v >= 0.f && v <= 1.f);
  }
  Session cls(Model::load(kModels / "ch_ppocr_mobile_v2.0_cls_infer.onnx", {2}));
  const auto out = cls.run({pattern({3, 3, 48, 192}, 4)})[0];
  ASSERT_EQ(out.shape, (std::vector<int64_t>{3, 2}));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(out.data[2 * k] + out.data[2 * k + 1], 1.f, 1e-4f);
}
