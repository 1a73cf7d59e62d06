// Base64 (RFC 4648, standard alphabet, padded) for image data URLs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::vlm {

std::string base64_encode(std::span<const uint8_t> bytes);

// Strict decoder: nullopt on a bad character, bad length or bad padding.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace edgeocr::vlm
