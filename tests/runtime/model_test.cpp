// The runtime on the real PP-OCR models: dynamic shapes, batching consistency, repeatability.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include <oneapi/dnnl/dnnl.hpp>

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

// Outputs read in place (no copy) hold what the copying run returns; a reader that throws
// leaves the session whole for the next run.
TEST(RuntimeModels, OutputsReadInPlaceEqualCopiedOutputs) {
  Session cls(Model::load(kModels / "ch_ppocr_mobile_v2.0_cls_infer.onnx", {2}));
  const Tensor input = pattern({3, 3, 48, 192}, 5);
  const Tensor copied = cls.run({input})[0];
  std::vector<int64_t> shape;
  std::vector<float> values;
  cls.run({input}, [&](std::span<const edgeocr::runtime::TensorView> outputs) {
    ASSERT_EQ(outputs.size(), 1u);
    shape.assign(outputs[0].shape.begin(), outputs[0].shape.end());
    values.assign(outputs[0].data.begin(), outputs[0].data.end());
  });
  EXPECT_EQ(shape, copied.shape);
  ASSERT_EQ(values.size(), copied.data.size());
  EXPECT_EQ(max_abs_diff(values.data(), copied.data.data(), values.size()), 0.f);
  EXPECT_THROW(cls.run({input}, [](std::span<const edgeocr::runtime::TensorView>) { throw std::runtime_error("reader"); }),
               std::runtime_error);
  const Tensor after = cls.run({input})[0];
  EXPECT_EQ(max_abs_diff(after.data.data(), copied.data.data(), after.data.size()), 0.f);
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

// One loaded model run from two threads at once, each through its own Session, gives exactly
// what a single session gives; the threads share the kernels and their primitive caches.
TEST(RuntimeModels, SharedModelRunsFromTwoThreadsGiveIdenticalResults) {
  const Model rec = Model::load(kModels / "ch_PP-OCRv4_rec_infer.onnx", {1});
  const std::vector<Tensor> inputs{pattern({1, 3, 48, 320}, 1), pattern({2, 3, 48, 192}, 2), pattern({1, 3, 48, 640}, 3),
                                   pattern({3, 3, 48, 256}, 4)};
  std::vector<std::vector<float>> want;
  {
    Session reference(rec);
    for (const auto& in : inputs) want.push_back(reference.run({in})[0].data);
  }
  std::vector<std::vector<std::vector<float>>> got(2);
  auto worker = [&](int id) {
    Session session(rec);
    for (int round = 0; round < 3; ++round)
      for (size_t k = 0; k < inputs.size(); ++k) {
        const size_t which = id == 0 ? k : inputs.size() - 1 - k;  // the threads meet on different shapes
        if (round == 2) got[id].push_back(session.run({inputs[which]})[0].data);
        else (void)session.run({inputs[which]});
      }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  for (size_t k = 0; k < inputs.size(); ++k) {
    EXPECT_EQ(got[0][k], want[k]) << "thread 0, input " << k;
    EXPECT_EQ(got[1][k], want[inputs.size() - 1 - k]) << "thread 1, run " << k;
  }
}

// Each kernel keeps a bounded number of prepared primitives however many input shapes it sees.
TEST(RuntimeModels, PrimitiveCachesAreBoundedByCount) {
  const int64_t before = edgeocr::runtime::memory_stats().primitive_cache_entries;
  Session rec(Model::load(kModels / "ch_PP-OCRv4_rec_infer.onnx", {2}));
  (void)rec.run({pattern({1, 3, 48, 32}, 1)});
  const int64_t one_shape = edgeocr::runtime::memory_stats().primitive_cache_entries - before;
  ASSERT_GT(one_shape, 0);
  for (int w = 64; w <= 32 * 24; w += 32) (void)rec.run({pattern({1, 3, 48, w}, 1)});
  const int64_t many_shapes = edgeocr::runtime::memory_stats().primitive_cache_entries - before;
  EXPECT_GT(many_shapes, one_shape);
  EXPECT_LE(many_shapes, one_shape * 16);  // 24 shapes seen, at most 16 kept per kernel
}

// A long-running server keeps fewer compiled kernels; shapes dropped from every cache are
// compiled again and give the same results.
TEST(RuntimeModels, ACappedKernelCacheRecompilesDroppedShapesToTheSameResults) {
  const int default_capacity = dnnl::get_primitive_cache_capacity();
  edgeocr::runtime::set_compiled_kernel_cache_capacity(1);
  EXPECT_EQ(dnnl::get_primitive_cache_capacity(), 1);
  Session rec(Model::load(kModels / "ch_PP-OCRv4_rec_infer.onnx", {2}));
  const auto first = rec.run({pattern({1, 3, 48, 64}, 3)});
  for (int w = 96; w <= 32 * 20; w += 32) (void)rec.run({pattern({1, 3, 48, w}, 1)});  // evicts width 64
  const auto again = rec.run({pattern({1, 3, 48, 64}, 3)});
  edgeocr::runtime::set_compiled_kernel_cache_capacity(default_capacity);
  ASSERT_EQ(first.at(0).shape, again.at(0).shape);
  EXPECT_EQ(first.at(0).data, again.at(0).data);
}

TEST(RuntimeModels, FewerPreparedShapesPerKernelBoundTheCacheAndPrepareDroppedShapesToTheSameResults) {
  Session rec(Model::load(kModels / "ch_PP-OCRv4_rec_infer.onnx", {2}));
  const int64_t before = edgeocr::runtime::memory_stats().primitive_cache_entries;
  const auto first = rec.run({pattern({1, 3, 48, 64}, 3)});
  const int64_t one_shape = edgeocr::runtime::memory_stats().primitive_cache_entries - before;
  ASSERT_GT(one_shape, 0);
  edgeocr::runtime::set_prepared_shapes_per_kernel(2);
  for (int w = 96; w <= 32 * 12; w += 32) (void)rec.run({pattern({1, 3, 48, w}, 1)});  // drops width 64
  const int64_t kept = edgeocr::runtime::memory_stats().primitive_cache_entries - before;
  const auto again = rec.run({pattern({1, 3, 48, 64}, 3)});
  edgeocr::runtime::set_prepared_shapes_per_kernel(16);
  EXPECT_LE(kept, 2 * one_shape) << "10 widths run, each kernel may keep 2";
  ASSERT_EQ(first.at(0).shape, again.at(0).shape);
  EXPECT_EQ(first.at(0).data, again.at(0).data);
}
