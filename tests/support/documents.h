// Multi-page test inputs: a TIFF with one page per image (OpenCV/libtiff) and a HEIC holding one
// top-level image per given image (libheif's HEVC encoder), as bytes.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace edgeocr::test {

// Throws std::runtime_error when the encoder fails.
std::vector<uint8_t> encode_tiff_pages(const std::vector<cv::Mat>& bgr_pages);
// HEVC wants even sizes: odd widths/heights lose their last column/row.
std::vector<uint8_t> encode_heic(const std::vector<cv::Mat>& bgr_images, int quality = 90);

}  // namespace edgeocr::test
