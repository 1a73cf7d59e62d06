#include "serve/image_probe.h"

#include <cstring>

#include "ocr/pages.h"

namespace edgeocr::serve {
namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
int32_t le32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0]);
}

// Walks the JPEG marker segments to the first start-of-frame and reads its size.
void jpeg_size(std::span<const uint8_t> b, ImageInfo& info) {
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (b[i] != 0xFF) return;
    const uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    const uint32_t length = be16(&b[i + 2]);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      info.height = be16(&b[i + 5]);
      info.width = be16(&b[i + 7]);
      return;
    }
    if (length < 2) return;
    i += 2 + length;
  }
}

}  // namespace

std::optional<ImageInfo> probe_image(std::span<const uint8_t> b) {
  ImageInfo info;
  const auto starts = [&](const char* magic, size_t n, size_t at = 0) {
    return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) {
    info.extension = "jpg";
    jpeg_size(b, info);
  } else if (starts("\x89PNG\r\n\x1a\n", 8)) {
    info.extension = "png";
    if (b.size() >= 24) {
      info.width = be32(&b[16]);
      info.height = be32(&b[20]);
    }
  } else if (starts("BM", 2) && b.size() >= 26) {
    info.extension = "bmp";
    info.width = le32(&b[18]);
    const int32_t h = le32(&b[22]);
    info.height = h < 0 ? -static_cast<int64_t>(h) : h;
  } else if (starts("GIF87a", 6) || starts("GIF89a", 6)) {
    info.extension = "gif";
    if (b.size() >= 10) {
      info.width = le16(&b[6]);
      info.height = le16(&b[8]);
    }
  } else if (starts("II*\0", 4) || starts("MM\0*", 4)) {
    info.extension = "tiff";
  } else if (starts("RIFF", 4) && starts("WEBP", 4, 8)) {
    info.extension = "webp";
  } else if (const std::string document = ocr::document_format(b); document == "PDF" || document == "HEIF") {
    info.extension = document == "PDF" ? "pdf" : "heic";  // pages are checked one by one when decoded
  } else {
    return std::nullopt;
  }
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
