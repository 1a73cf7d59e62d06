// Base64 (RFC 4648, standard alphabet, padded): image data URLs, sealed sync envelopes, HTTP
// Basic auth and password hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::common {

std::string base64_encode(std::span<const uint8_t> bytes);
std::string base64_encode(std::string_view bytes);

// Strict decoders: nullopt on a bad character, bad length or bad padding.
std::optional<std::string> base64_decode(std::string_view text);
std::optional<std::vector<uint8_t>> base64_decode_bytes(std::string_view text);

}  // namespace edgeocr::common
