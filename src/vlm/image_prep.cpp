#include "vlm/image_prep.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/base64.h"
#include "ocr/codecs.h"
#include "ocr/decode.h"

namespace edgeocr::vlm {

cv::Size capped_size(int width, int height, int max_side) {
  const int longest = std::max(width, height);
  if (longest <= max_side || max_side <= 0) return {width, height};
  const double scale = static_cast<double>(max_side) / longest;
  const int w = std::max(1, static_cast<int>(std::lround(width * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(height * scale)));
  return {std::min(w, max_side), std::min(h, max_side)};
}

PreparedImage prepare_image(const cv::Mat& image, const ImagePrepOptions& options) {
  if (image.empty()) throw std::invalid_argument("VLM: empty image");
  cv::Mat bgr;
  if (image.channels() == 1) {
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  } else {
    bgr = image;
  }
  if (bgr.depth() != CV_8U) {
    cv::Mat converted;
    bgr.convertTo(converted, CV_8U);
    bgr = converted;
  }
  PreparedImage out;
  out.original_width = image.cols;
  out.original_height = image.rows;
  const cv::Size target = capped_size(image.cols, image.rows, options.max_side);
  cv::Mat sent = bgr;
  if (target.width != image.cols || target.height != image.rows) {
    cv::resize(bgr, sent, target, 0, 0, cv::INTER_AREA);  // area filter: no aliasing on downscale
  }
  out.sent_width = sent.cols;
  out.sent_height = sent.rows;
  const std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
  if (!ocr::encode_image(".jpg", sent, out.jpeg, params)) throw std::invalid_argument("VLM: JPEG encoding failed");
  out.data_url = "data:image/jpeg;base64," + common::base64_encode(out.jpeg);
  return out;
}

PreparedImage prepare_encoded_image(std::span<const uint8_t> encoded, const ImagePrepOptions& options) {
  if (encoded.empty()) throw std::invalid_argument("VLM: empty image data");
  const cv::Mat image = ocr::imdecode_guarded(encoded, cv::IMREAD_COLOR);
  if (image.empty()) throw std::invalid_argument("VLM: the image could not be decoded");
  return prepare_image(image, options);
}

}  // namespace edgeocr::vlm
