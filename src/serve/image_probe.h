// Cheap look at an encoded image's header: format and dimensions, without decoding it, so the
// server can refuse non-images (400) and oversized images (413) before queueing any work. The
// header itself is read by ocr::probe_header, the same reader the decoder checks with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace edgeocr::serve {

struct ImageInfo {
  std::string extension;  // jpg, png, bmp, tiff, webp, gif, pdf, heic
  std::string mime;       // image/jpeg, ...
  int64_t width = 0, height = 0;  // 0 when the header does not say (cheaply)
};

// nullopt when the bytes do not start like any supported image format.
std::optional<ImageInfo> probe_image(std::span<const uint8_t> bytes);

std::string mime_for_extension(const std::string& extension);

}  // namespace edgeocr::serve
