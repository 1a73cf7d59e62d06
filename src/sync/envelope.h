// End-to-end encryption of sync batches, independent of TLS.
// AES-256-GCM with a per-store key; the store id, batch id and key id are bound as associated
// data, so an envelope cannot be read, altered, or replayed into another store's stream.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace edgeocr::sync {

inline constexpr int kEnvelopeVersion = 1;

struct StoreKey {
  std::array<unsigned char, 32> bytes{};
  std::string key_id;  // from config, or the default fingerprint of the key
};

// Error whose message is safe to log and return to a client.
class EnvelopeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a key file: 64 hex characters (whitespace ignored). Refuses files readable or writable by
// group/other (permissions must be 0600 or stricter).
StoreKey load_key_file(const std::filesystem::path& path);
// Writes a fresh random key in hex with permissions 0600; refuses to overwrite.
void write_new_key_file(const std::filesystem::path& path);
// Default key id: first 8 bytes of SHA-256(key), hex. Lets the collector tell keys apart.
std::string key_fingerprint(const std::array<unsigned char, 32>& key);

struct Envelope {
  int version = kEnvelopeVersion;
  std::string store_id;
  std::string batch_id;
  std::string key_id;
  std::string encoding = "json";  // of the plaintext: "json" or "zlib+json" (bound as associated data)
  std::string nonce_b64;
  std::string ciphertext_b64;  // ciphertext followed by the 16-byte GCM tag
};

// Encrypts `plaintext` for (store_id, batch_id) with a fresh random 96-bit nonce.
Envelope seal(const StoreKey& key, const std::string& store_id, const std::string& batch_id,
              std::string_view plaintext, const std::string& encoding = "json");
// Authenticates and decrypts; throws EnvelopeError on any mismatch.
std::string open(const StoreKey& key, const Envelope& envelope);

std::string envelope_to_json(const Envelope& envelope);
// Throws EnvelopeError if `body` is not a well-formed version-1 envelope (e.g. a plaintext POST).
Envelope envelope_from_json(std::string_view body);

// zlib (RFC 1950). inflate refuses output beyond `max_output` bytes (decompression bombs).
std::string deflate_bytes(std::string_view data, int level);
std::string inflate_bytes(std::string_view data, size_t max_output);

// Store ids become file names and SQL values: [A-Za-z0-9._-], 1..64 chars, not starting with '.'.
bool valid_store_id(std::string_view id);

}  // namespace edgeocr::sync
