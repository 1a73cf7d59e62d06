// Image bytes from the network: the server's upload check (kind and header), then the decoder
// under small limits (what an upload goes through before OCR).
#include <cstdint>
#include <span>

#include "ocr/decode.h"
#include "ocr/pages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  if (!edgeocr::ocr::file_type(edgeocr::ocr::document_format(bytes))) return 0;
  edgeocr::ocr::probe_header(bytes);
  edgeocr::ocr::DecodeLimits limits;
  limits.max_pixels = 1 << 20;
  try {
    edgeocr::ocr::detail::decode_with_size(bytes, limits);
  } catch (const std::exception&) {
    // refusing is the right answer for a bad image
  }
  return 0;
}
