#include "common/sha256.h"

#include <openssl/sha.h>

#include "common/hex.h"

namespace edgeocr::common {

std::string sha256_raw(std::string_view bytes) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string sha256_hex(std::string_view bytes) { return hex_encode(sha256_raw(bytes)); }

}  // namespace edgeocr::common
