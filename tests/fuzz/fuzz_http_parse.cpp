// Request parts from the network: percent-decoding, query strings, the multipart boundary and
// multipart bodies. The first byte picks the boundary length so the body can match it.
#include <cstdint>
#include <string_view>

#include "serve/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  edgeocr::serve::http::percent_decode(text, false);
  std::multimap<std::string, std::string> params;
  edgeocr::serve::http::parse_query(text, params);
  edgeocr::serve::http::multipart_boundary(text);
  if (size < 1) return 0;
  const size_t boundary_length = std::min<size_t>(data[0] % 16 + 1, size - 1);
  const std::string_view boundary = text.substr(1, boundary_length);
  edgeocr::serve::http::parse_multipart(text.substr(1 + boundary_length), boundary);
  return 0;
}
