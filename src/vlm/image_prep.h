// Image preparation for the VLM: cap the longest side, JPEG re-encode, base64 data URL.
//
// HunyuanOCR's ViT works at native resolution, so the image is sent as is except for the
// 2048 px cap (aspect ratio kept). The model's coordinates are normalized to 0..1000 of the image
// *as sent*; PreparedImage keeps both sizes so answers map back to the caller's pixels.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace edgeocr::vlm {

struct ImagePrepOptions {
  int max_side = 2048;
  int jpeg_quality = 92;
};

struct PreparedImage {
  int original_width = 0, original_height = 0;  // the caller's image (coordinates are returned in it)
  int sent_width = 0, sent_height = 0;          // what the model sees
  std::vector<uint8_t> jpeg;
  std::string data_url;                         // "data:image/jpeg;base64,..."
};

// Throws std::invalid_argument for an empty image.
PreparedImage prepare_image(const cv::Mat& bgr_or_gray, const ImagePrepOptions& options = {});

// Decodes (EXIF orientation applied) then prepares. Throws std::invalid_argument if undecodable.
PreparedImage prepare_encoded_image(std::span<const uint8_t> encoded, const ImagePrepOptions& options = {});

// Size the image is sent at: longest side capped at max_side, aspect ratio kept, each side >= 1.
cv::Size capped_size(int width, int height, int max_side);

}  // namespace edgeocr::vlm
