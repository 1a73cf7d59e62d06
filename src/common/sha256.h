// SHA-256 digests (OpenSSL): raw bytes, or lower-case hex for names and pins.
#pragma once

#include <string>
#include <string_view>

namespace edgeocr::common {

std::string sha256_raw(std::string_view bytes);  // 32 bytes
std::string sha256_hex(std::string_view bytes);  // 64 lower-case hex digits

}  // namespace edgeocr::common
