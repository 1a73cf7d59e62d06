#include "ocr/decode.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include "ocr/codecs.h"

namespace edgeocr::ocr {
namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t le32(const uint8_t* p) { return (le16(p + 2) << 16) | le16(p); }
uint32_t le24(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16); }

bool starts_with(std::span<const uint8_t> b, const char* magic, size_t n, size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

void probe_jpeg(std::span<const uint8_t> b, HeaderInfo& info) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return;  // lost sync: corrupt
    const uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      i += 2;
      continue;
    }
    const size_t length = be16(&b[i + 2]);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > b.size()) return;
      info.height = be16(&b[i + 5]);
      info.width = be16(&b[i + 7]);
      return;
    }
    if (marker == 0xDA || length < 2) return;  // scan data before any frame header
    i += 2 + length;
  }
}

void probe_tiff(std::span<const uint8_t> b, HeaderInfo& info) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t at) { return little ? le16(&b[at]) : be16(&b[at]); };
  auto u32 = [&](size_t at) { return little ? le32(&b[at]) : be32(&b[at]); };
  const size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return;
  const size_t entries = u16(ifd);
  for (size_t e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + e * 12;
    if (at + 12 > b.size()) return;
    const uint32_t tag = u16(at), type = u16(at + 2);
    const int64_t value = type == 3 ? u16(at + 8) : u32(at + 8);  // SHORT or LONG
    if (tag == 256) info.width = value;
    if (tag == 257) info.height = value;
  }
}

void probe_webp(std::span<const uint8_t> b, HeaderInfo& info) {
  if (b.size() < 30) return;
  if (starts_with(b, "VP8 ", 4, 12)) {  // lossy: frame tag (3) + start code (3), then 14-bit sizes
    info.width = le16(&b[26]) & 0x3FFF;
    info.height = le16(&b[28]) & 0x3FFF;
  } else if (starts_with(b, "VP8L", 4, 12)) {
    const uint32_t bits = le32(&b[21]);
    info.width = (bits & 0x3FFF) + 1;
    info.height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (starts_with(b, "VP8X", 4, 12)) {
    info.width = le24(&b[24]) + 1;
    info.height = le24(&b[27]) + 1;
  }
}

}  // namespace

std::optional<HeaderInfo> probe_header(std::span<const uint8_t> b) {
  HeaderInfo info;
  if (starts_with(b, "\xFF\xD8\xFF", 3)) {
    info.format = "JPEG";
    probe_jpeg(b, info);
  } else if (starts_with(b, "\x89PNG\r\n\x1a\n", 8)) {
    info.format = "PNG";
    if (b.size() >= 24 && starts_with(b, "IHDR", 4, 12)) {
      info.width = be32(&b[16]);
      info.height = be32(&b[20]);
    }
  } else if (starts_with(b, "BM", 2)) {
    info.format = "BMP";
    if (b.size() >= 26) {
      info.width = static_cast<int32_t>(le32(&b[18]));
      info.height = std::abs(static_cast<int64_t>(static_cast<int32_t>(le32(&b[22]))));  // negative = top-down
      if (info.width < 0) info.width = 0;
    }
  } else if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) {
    info.format = "TIFF";
    if (b.size() >= 8) probe_tiff(b, info);
  } else if (starts_with(b, "RIFF", 4) && starts_with(b, "WEBP", 4, 8)) {
    info.format = "WebP";
    probe_webp(b, info);
  } else if (starts_with(b, "GIF87a", 6) || starts_with(b, "GIF89a", 6)) {
    info.format = "GIF";
    if (b.size() >= 10) info.width = le16(&b[6]), info.height = le16(&b[8]);
  } else {
    return std::nullopt;
  }
  return info;
}

namespace detail {
namespace {
// A complete JPEG ends with the EOI marker (possibly followed by a little padding); libjpeg
// decodes a truncated file into a half-grey image with only a warning, so check it here.
bool jpeg_has_end_marker(std::span<const uint8_t> b) {
  const size_t window = std::min<size_t>(b.size(), 1 << 16);
  for (size_t i = b.size() - 1; i + window >= b.size() && i >= 1; --i)
    if (b[i - 1] == 0xFF && b[i] == 0xD9) return true;
  return false;
}

// libpng reports damaged chunks on stderr itself ("libpng error: ...") before OpenCV gives up;
// checking the chunk structure (lengths, types, CRCs, IEND) first gives one clear error.
bool png_chunks_intact(std::span<const uint8_t> b) {
  size_t pos = 8;  // after the signature
  while (pos + 12 <= b.size()) {
    const uint32_t length = be32(&b[pos]);
    if (length > b.size() - pos - 12) return false;
    const uint8_t* type = &b[pos + 4];
    if (!std::all_of(type, type + 4, [](uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }))
      return false;
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), type, length + 4);
    if (crc != be32(&b[pos + 8 + length])) return false;
    if (std::equal(type, type + 4, "IEND")) return true;
    pos += 12 + length;
  }
  return false;  // no IEND: truncated
}
}  // namespace

}  // namespace detail

cv::Mat imdecode_guarded(std::span<const uint8_t> bytes, int flags) {
  constexpr size_t kDicomMagicAt = 128;
  if (bytes.empty() || (bytes.size() >= kDicomMagicAt + 4 &&
                        std::equal(bytes.begin() + kDicomMagicAt, bytes.begin() + kDicomMagicAt + 4, "DICM")))
    return {};
  if (flags == cv::IMREAD_COLOR && probe_header(bytes).value_or(HeaderInfo{}).format == "JPEG")
    if (auto image = detail::decode_jpeg_bgr(bytes)) return std::move(*image);
  try {
    return detail::opencv_imdecode(bytes, flags);
  } catch (const cv::Exception&) {
    return {};
  }
}

namespace detail {

DecodedImage decode_with_size(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.empty()) throw ImageError("empty file");
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes)
    throw ImageError("file too large: " + std::to_string(bytes.size()) + " bytes (limit " + std::to_string(limits.max_bytes) + ")",
                     ImageError::Kind::too_large);
  const auto header = probe_header(bytes);
  if (!header) throw ImageError("not an image (supported: " + std::string(kReadableFormats) + ")");
  if (header->format == "GIF") throw ImageError("GIF images are not supported (use " + std::string(kReadableFormats) + ")");
  if (header->width < 0 || header->height < 0)
    throw ImageError("truncated or corrupt " + header->format + " header (no image size found)");
  if (header->width == 0 || header->height == 0)
    throw ImageError("zero-size image (" + std::to_string(header->width) + "x" + std::to_string(header->height) + ")");
  // Divided, not multiplied: two 32-bit header sizes can overflow the product.
  if (header->width > limits.max_pixels / header->height)
    throw ImageError("image too large: " + std::to_string(header->width) + "x" + std::to_string(header->height) +
                     " pixels exceeds the limit of " + std::to_string(limits.max_pixels) + " (decompression bomb?)",
                     ImageError::Kind::too_large);
  if (header->format == "JPEG" && !jpeg_has_end_marker(bytes)) throw ImageError("truncated JPEG (no end-of-image marker)");
  if (header->format == "PNG" && !png_chunks_intact(bytes)) throw ImageError("truncated or corrupt PNG (bad chunk or no end)");

  const cv::Mat image = imdecode_guarded(bytes, cv::IMREAD_COLOR);  // EXIF-upright, 8-bit BGR
  if (image.empty()) throw ImageError("cannot decode " + header->format + " image (truncated or corrupt data)");
  DecodedImage out;
  out.original_width = image.cols;
  out.original_height = image.rows;
  const int longest = std::max(image.cols, image.rows);
  if (limits.max_side > 0 && longest > limits.max_side) {
    const double scale = static_cast<double>(limits.max_side) / longest;
    const int w = std::max(1, static_cast<int>(std::lround(image.cols * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(image.rows * scale)));
    cv::resize(image, out.bgr, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  } else {
    out.bgr = std::move(image);
  }
  return out;
}

}  // namespace detail

cv::Mat decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  return detail::decode_with_size(bytes, limits).bgr;
}

}  // namespace edgeocr::ocr
