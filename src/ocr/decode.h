// Image decoding internals shared by the pipeline and its tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "ocr/pipeline.h"

namespace edgeocr::ocr {

struct HeaderInfo {
  std::string format;  // "JPEG", "PNG", "BMP", "TIFF", "WebP", "GIF"
  int64_t width = -1, height = -1;  // -1: not found in the header
};

// The file formats EdgeOCR reads, as error messages name them.
inline constexpr std::string_view kReadableFormats = "JPEG, PNG, BMP, TIFF, WebP, PDF, HEIC";

// Identifies the format from the magic bytes and reads the dimensions from the header without
// decoding; nullopt when the bytes are no known image format.
std::optional<HeaderInfo> probe_header(std::span<const uint8_t> bytes);

// cv::imdecode for every caller of untrusted bytes (JPEG as IMREAD_COLOR decoded without OpenCV,
// identically: ocr/codecs.h). OpenCV picks its decoder by signature, not by the probed format,
// and bytes with DICOM's "DICM" at offset 128 go to GDCM, which aborts the process on malformed
// data; DICOM is no input here, so those bytes give an empty Mat, as any undecodable input (or
// an OpenCV exception) does. Throws CodecUnavailable when OpenCV's codecs are needed but missing.
cv::Mat imdecode_guarded(std::span<const uint8_t> bytes, int flags);

namespace detail {

struct DecodedImage {
  cv::Mat bgr;                          // 8-bit BGR, EXIF-upright, longest side <= max_side
  int original_width = 0, original_height = 0;  // upright size before the downscale
};

// decode_image() plus the pre-downscale size (so boxes can be mapped back to the file's pixels).
DecodedImage decode_with_size(std::span<const uint8_t> bytes, const DecodeLimits& limits);

}  // namespace detail
}  // namespace edgeocr::ocr
