#include "sync/envelope.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "common/base64.h"
#include "common/hex.h"

namespace edgeocr::sync {
namespace {

std::string decoded_base64(std::string_view text) {
  auto bytes = common::base64_decode(text);
  if (!bytes) throw EnvelopeError("invalid base64");
  return std::move(*bytes);
}

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

std::string associated_data(const Envelope& env) {
  // Length-prefixed so no two (store, batch, key, encoding) tuples share an encoding.
  std::string aad = "edgeocr-sync-v1";
  for (const std::string* part : {&env.store_id, &env.batch_id, &env.key_id, &env.encoding}) {
    aad += '\0';
    aad += std::to_string(part->size());
    aad += ':';
    aad += *part;
  }
  return aad;
}

std::string to_hex(const unsigned char* data, size_t size) {
  return common::hex_encode(std::string_view(reinterpret_cast<const char*>(data), size));
}

void random_bytes(unsigned char* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

std::string key_fingerprint(const std::array<unsigned char, 32>& key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(key.data(), key.size(), digest);
  return to_hex(digest, 8);
}

StoreKey load_key_file(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw EnvelopeError("cannot read key file " + path.string());
  if (!S_ISREG(info.st_mode)) throw EnvelopeError("key file is not a regular file: " + path.string());
  if ((info.st_mode & 077) != 0) {
    throw EnvelopeError("key file " + path.string() +
                        " must not be accessible by group or others (chmod 600)");
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string hex;
  for (char c : text.str()) {
    if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
  }
  StoreKey key;
  if (hex.size() != key.bytes.size() * 2) {
    throw EnvelopeError("key file " + path.string() + " must hold 64 hex characters (a 256-bit key)");
  }
  const auto bytes = common::hex_decode(hex);
  if (!bytes) throw EnvelopeError("key file " + path.string() + " is not hex");
  std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
  key.key_id = key_fingerprint(key.bytes);
  return key;
}

void write_new_key_file(const std::filesystem::path& path) {
  std::array<unsigned char, 32> key{};
  random_bytes(key.data(), key.size());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw EnvelopeError("cannot create key file " + path.string() + " (does it exist?)");
  std::string text = to_hex(key.data(), key.size()) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (::fsync(fd) == 0) && ok;
  ::close(fd);
  if (!ok) throw EnvelopeError("cannot write key file " + path.string());
}

Envelope seal(const StoreKey& key, const std::string& store_id, const std::string& batch_id,
              std::string_view plaintext, const std::string& encoding) {
  Envelope env;
  env.store_id = store_id;
  env.batch_id = batch_id;
  env.key_id = key.key_id;
  env.encoding = encoding;
  unsigned char nonce[kNonceBytes];
  random_bytes(nonce, sizeof nonce);
  std::string aad = associated_data(env);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int total = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out_bytes, &len,
                              reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out_bytes + total, &len) == 1;
  total += len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out_bytes + total) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  out.resize(static_cast<size_t>(total) + kTagBytes);
  env.nonce_b64 = common::base64_encode(std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce));
  env.ciphertext_b64 = common::base64_encode(out);
  return env;
}

std::string open(const StoreKey& key, const Envelope& env) {
  std::string nonce = decoded_base64(env.nonce_b64);
  std::string sealed = decoded_base64(env.ciphertext_b64);
  if (nonce.size() != kNonceBytes) throw EnvelopeError("nonce must be 96 bits");
  if (sealed.size() < kTagBytes) throw EnvelopeError("ciphertext too short");
  std::string aad = associated_data(env);
  size_t body = sealed.size() - kTagBytes;
  std::string plain(body, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  auto* sealed_bytes = reinterpret_cast<unsigned char*>(sealed.data());
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, sealed_bytes,
                              static_cast<int>(body)) == 1;
  total = len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, sealed_bytes + body) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + total, &len) == 1;
  if (!ok) throw EnvelopeError("authentication failed: tampered batch, wrong key or wrong store/batch id");
  plain.resize(static_cast<size_t>(total + len));
  return plain;
}

std::string envelope_to_json(const Envelope& env) {
  nlohmann::json j = {{"version", env.version},       {"store_id", env.store_id},
                      {"batch_id", env.batch_id},     {"key_id", env.key_id},
                      {"encoding", env.encoding},
                      {"nonce", env.nonce_b64},       {"ciphertext", env.ciphertext_b64}};
  return j.dump();
}

Envelope envelope_from_json(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw EnvelopeError("body is not a JSON envelope");
  auto text_field = [&](const char* name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
      throw EnvelopeError(std::string("envelope lacks '") + name + "' (unencrypted batches are refused)");
    }
    return it->get<std::string>();
  };
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != kEnvelopeVersion) {
    throw EnvelopeError("unsupported or missing envelope version (expected 1)");
  }
  Envelope env;
  env.store_id = text_field("store_id");
  env.batch_id = text_field("batch_id");
  env.key_id = text_field("key_id");
  env.encoding = j.contains("encoding") ? text_field("encoding") : "json";
  if (env.encoding != "json" && env.encoding != "zlib+json") throw EnvelopeError("unsupported encoding " + env.encoding);
  env.nonce_b64 = text_field("nonce");
  env.ciphertext_b64 = text_field("ciphertext");
  if (!valid_store_id(env.store_id)) throw EnvelopeError("invalid store_id");
  if (env.batch_id.size() > 64 || env.key_id.size() > 64) throw EnvelopeError("batch_id/key_id too long");
  return env;
}

std::string deflate_bytes(std::string_view data, int level) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
                static_cast<uLong>(data.size()), level) != Z_OK) {
    throw std::runtime_error("zlib compression failed");
  }
  out.resize(size);
  return out;
}

std::string inflate_bytes(std::string_view data, size_t max_output) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw std::runtime_error("zlib init failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) throw EnvelopeError("payload is not valid zlib data");
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > max_output) throw EnvelopeError("decompressed payload exceeds the size limit");
    if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) throw EnvelopeError("truncated zlib data");
  }
  return out;
}

bool valid_store_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '.') return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace edgeocr::sync
