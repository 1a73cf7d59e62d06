// Naive reference implementations and comparison helpers for runtime tests.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <vector>

#include "onnx_builder.h"
#include "runtime/runtime.h"

namespace edgeocr::runtime::testing {

// Loads the built graph (one kernel thread) and runs it once.
inline std::vector<Tensor> run(const OnnxBuilder& b, const std::vector<Tensor>& inputs) {
  const auto path = b.save();
  Session session(Model::load(path, {1}));
  std::filesystem::remove(path);
  return session.run(inputs);
}

inline std::vector<float> iota_values(size_t n, float start = 0, float step = 1) {
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k) v[k] = start + step * static_cast<float>(k);
  return v;
}

inline void expect_near(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], tol) << "at index " << k;
}

// Reference direct convolution, NCHW, for checking oneDNN results.
inline std::vector<float> ref_conv(const std::vector<float>& x, int c, int h, int w, const std::vector<float>& wt, int co,
                                   int k, int pad, int stride, int group, const std::vector<float>& bias) {
  const int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
  const int cig = c / group, cog = co / group;
  std::vector<float> y(static_cast<size_t>(co) * ho * wo);
  for (int o = 0; o < co; ++o)
    for (int i = 0; i < ho; ++i)
      for (int j = 0; j < wo; ++j) {
        const int g = o / cog;
        float acc = bias.empty() ? 0.f : bias[o];
        for (int ci = 0; ci < cig; ++ci)
          for (int a = 0; a < k; ++a)
            for (int b = 0; b < k; ++b) {
              const int yy = i * stride - pad + a, xx = j * stride - pad + b;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              acc += x[((g * cig + ci) * h + yy) * w + xx] * wt[((o * cig + ci) * k + a) * k + b];
            }
        y[(o * ho + i) * wo + j] = acc;
      }
  return y;
}

}  // namespace edgeocr::runtime::testing
