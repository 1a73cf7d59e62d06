// Image codecs without OpenCV's imgcodecs at start-up. Linking libopencv_imgcodecs loads ≈ 55
// more shared libraries (GDAL, GDCM, OpenEXR, ...) into every process, about two thirds of the
// binary's start-up time. JPEG, what a one-shot `edgeocr ocr` reads most, is decoded here with
// libjpeg-turbo directly, exactly as OpenCV decodes it; every other format and every encoding
// goes to OpenCV's imgcodecs, loaded on first use.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace edgeocr::ocr {

// OpenCV's image codecs could not be loaded (library not installed).
class CodecUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// cv::imencode through the lazily loaded imgcodecs: `ext` like ".jpg", params as cv::IMWRITE_*
// pairs. Returns false where OpenCV cannot encode; throws CodecUnavailable.
bool encode_image(const std::string& ext, const cv::Mat& image, std::vector<uint8_t>& out,
                  const std::vector<int>& params = {});

namespace detail {

// cv::imdecode through the lazily loaded imgcodecs (exceptions from OpenCV propagate); throws
// CodecUnavailable.
cv::Mat opencv_imdecode(std::span<const uint8_t> bytes, int flags);

// 8-bit BGR, EXIF-upright: what cv::imdecode(bytes, cv::IMREAD_COLOR) gives, pixel for pixel,
// for a JPEG of 1 or 3 components. nullopt for a JPEG left to OpenCV (CMYK, no Huffman tables);
// an empty Mat for data libjpeg cannot decode.
std::optional<cv::Mat> decode_jpeg_bgr(std::span<const uint8_t> bytes);

// The orientation tag (1..8, 1 = as stored) of an EXIF block (the TIFF structure after
// "Exif\0\0"), read as OpenCV reads it: the first IFD's first orientation entry; 1 when absent.
int exif_orientation(std::span<const uint8_t> tiff);

// Turns an image stored with EXIF `orientation` upright (as cv::imdecode does).
void apply_exif_orientation(cv::Mat& image, int orientation);

}  // namespace detail
}  // namespace edgeocr::ocr
