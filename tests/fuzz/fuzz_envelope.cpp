// Sync batches as the collector receives them: envelope JSON, then authenticated decryption
// and inflation under a fixed key. Anything wrong must be an EnvelopeError.
#include <cstdint>
#include <string_view>

#include "common/base64.h"
#include "sync/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const edgeocr::sync::StoreKey key = [] {
    edgeocr::sync::StoreKey k{};
    for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<unsigned char>(i);
    return k;
  }();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    const auto envelope = edgeocr::sync::envelope_from_json(body);
    edgeocr::sync::open(key, envelope);
  } catch (const edgeocr::sync::EnvelopeError&) {
  }
  try {
    edgeocr::sync::inflate_bytes(body, 1 << 20);
  } catch (const edgeocr::sync::EnvelopeError&) {
  }
  edgeocr::common::base64_decode(body);
  return 0;
}
