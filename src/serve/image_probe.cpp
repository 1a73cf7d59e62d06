#include "serve/image_probe.h"

#include <algorithm>
#include <utility>

#include "ocr/decode.h"
#include "ocr/pages.h"

namespace edgeocr::serve {

std::optional<ImageInfo> probe_image(std::span<const uint8_t> bytes) {
  ImageInfo info;
  if (const auto header = ocr::probe_header(bytes)) {
    static const std::pair<const char*, const char*> kExtensions[] = {
        {"JPEG", "jpg"}, {"PNG", "png"}, {"BMP", "bmp"}, {"GIF", "gif"}, {"TIFF", "tiff"}, {"WebP", "webp"}};
    for (const auto& [format, extension] : kExtensions)
      if (header->format == format) info.extension = extension;
    info.width = std::max<int64_t>(0, header->width);
    info.height = std::max<int64_t>(0, header->height);
  } else if (const std::string document = ocr::document_format(bytes); document == "PDF" || document == "HEIF") {
    info.extension = document == "PDF" ? "pdf" : "heic";  // pages are checked one by one when decoded
  }
  if (info.extension.empty()) return std::nullopt;
  info.mime = mime_for_extension(info.extension);
  return info;
}

std::string mime_for_extension(const std::string& e) {
  if (e == "jpg") return "image/jpeg";
  if (e == "png") return "image/png";
  if (e == "bmp") return "image/bmp";
  if (e == "gif") return "image/gif";
  if (e == "tiff") return "image/tiff";
  if (e == "webp") return "image/webp";
  if (e == "pdf") return "application/pdf";
  if (e == "heic") return "image/heic";
  return "application/octet-stream";
}

}  // namespace edgeocr::serve
