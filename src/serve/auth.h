// Authentication for `edgeocr serve`: API keys (Authorization: Bearer <key>) and users
// (HTTP Basic) read from an auth file. Secrets are stored only as hashes: API keys as SHA-256,
// passwords as salted PBKDF2-HMAC-SHA256. Comparisons are constant-time.
//
// JSON form:
//   {"api_keys": [{"name": "till-1", "sha256": "<hex>"}],
//    "users": [{"name": "alice", "password": "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>",
//               "read_only": false}]}
// TOML form:
//   [api_keys]
//   till-1 = "sha256:<hex>"
//   [users]
//   alice = "pbkdf2-sha256$..."
//   [read_only]
//   auditor = true
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace edgeocr::serve {

struct Principal {
  std::string name;
  bool read_only = false;  // may read the archive, may not run OCR or delete (403)
};

class Authenticator {
 public:
  static Authenticator from_file(const std::filesystem::path& file);  // throws ConfigError
  static Authenticator from_text(const std::string& text, const std::string& origin);

  // The principal for an Authorization header value, or nullopt when missing/wrong.
  std::optional<Principal> authenticate(const std::string& authorization_header) const;
  size_t key_count() const { return keys_.size(); }
  size_t user_count() const { return users_.size(); }

 private:
  struct Key {
    Principal principal;
    std::string sha256;  // raw 32 bytes
  };
  struct User {
    Principal principal;
    int iterations = 0;
    std::string salt, hash;  // raw bytes
  };
  std::vector<Key> keys_;
  std::map<std::string, User> users_;
  // PBKDF2 is slow by design: remember recently verified Basic credentials (by their SHA-256).
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Principal> verified;
  };
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

// Per-address back-off after failed logins: password guessing costs PBKDF2 time for every
// client, so after a few failures an address is refused (429) for a doubling period.
class LoginBackoff {
 public:
  // True while `address` must wait; `retry_after_s` says how long.
  bool blocked(const std::string& address, int* retry_after_s);
  void failed(const std::string& address);
  void succeeded(const std::string& address);

  static constexpr int kFreeFailures = 5;
  static constexpr int kMaxDelayS = 60;

 private:
  struct Entry {
    int failures = 0;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" for `password` with a fresh random salt.
std::string hash_password(const std::string& password, int iterations = 210000);
bool verify_password(const std::string& password, const std::string& encoded);
// A fresh random API key and the "sha256:<hex>" entry for the auth file.
std::pair<std::string, std::string> new_api_key();
std::string api_key_entry(const std::string& key);

}  // namespace edgeocr::serve
