#include "serve/auth.h"

#include <array>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/hex.h"
#include "common/sha256.h"
#include "settings/settings.h"

namespace edgeocr::serve {
namespace {

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string pbkdf2(const std::string& password, const std::string& salt, int iterations, size_t length) {
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(length), reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

struct ParsedHash {
  int iterations;
  std::string salt, hash;
};

std::optional<ParsedHash> parse_password_hash(const std::string& encoded) {
  std::vector<std::string> parts;
  std::stringstream in(encoded);
  std::string part;
  while (std::getline(in, part, '$')) parts.push_back(part);
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return std::nullopt;
  ParsedHash p{};
  try {
    p.iterations = std::stoi(parts[1]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto salt = common::base64_decode(parts[2]);
  auto hash = common::base64_decode(parts[3]);
  if (p.iterations < 1000 || !salt || !hash || salt->size() < 8 || hash->size() < 16) return std::nullopt;
  p.salt = *salt;
  p.hash = *hash;
  return p;
}

std::string key_hash_from_entry(const std::string& entry, const std::string& where) {
  std::string hex = entry.rfind("sha256:", 0) == 0 ? entry.substr(7) : entry;
  auto raw = common::hex_decode(hex);
  if (!raw || raw->size() != 32)  // a SHA-256 digest
    throw settings::ConfigError(where + ": API key must be stored as sha256:<64 hex digits> (make one with `edgeocr serve --new-api-key`)");
  return *raw;
}

}  // namespace

std::string hash_password(const std::string& password, int iterations) {
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16) != 1) throw std::runtime_error("no randomness");
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + common::base64_encode(salt) + "$" +
         common::base64_encode(pbkdf2(password, salt, iterations, 32));
}

bool verify_password(const std::string& password, const std::string& encoded) {
  auto p = parse_password_hash(encoded);
  return p && equal_constant_time(pbkdf2(password, p->salt, p->iterations, p->hash.size()), p->hash);
}

std::pair<std::string, std::string> new_api_key() {
  std::string raw(24, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), 24) != 1) throw std::runtime_error("no randomness");
  std::string key = "eo_" + common::hex_encode(raw);
  return {key, api_key_entry(key)};
}

std::string api_key_entry(const std::string& key) { return "sha256:" + common::hex_encode(common::sha256_raw(key)); }

Authenticator Authenticator::from_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw settings::ConfigError("cannot read auth file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return from_text(text.str(), file.string());
}

Authenticator Authenticator::from_text(const std::string& text, const std::string& origin) {
  Authenticator auth;
  const auto add_user = [&](const std::string& name, const std::string& encoded, bool read_only) {
    auto parsed = parse_password_hash(encoded);
    if (!parsed)
      throw settings::ConfigError(origin + ": user '" + name +
                        "': password must be a pbkdf2-sha256$... hash (make one with `edgeocr serve --hash-password`)");
    if (name.empty() || name.find(':') != std::string::npos) throw settings::ConfigError(origin + ": bad user name '" + name + "'");
    auth.users_[name] = User{{name, read_only}, parsed->iterations, parsed->salt, parsed->hash};
  };
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
      for (const auto& k : doc.value("api_keys", nlohmann::json::array())) {
        Key key;
        key.principal.name = k.at("name").get<std::string>();
        key.principal.read_only = k.value("read_only", false);
        key.sha256 = key_hash_from_entry(k.at("sha256").get<std::string>(), origin);
        auth.keys_.push_back(std::move(key));
      }
      for (const auto& u : doc.value("users", nlohmann::json::array()))
        add_user(u.at("name").get<std::string>(), u.at("password").get<std::string>(), u.value("read_only", false));
    } catch (const nlohmann::json::exception& e) {
      throw settings::ConfigError(origin + ": " + e.what());
    }
  } else {
    const auto entries = settings::read_toml(text, origin);
    const auto string_value = [&origin](const std::string& key, const settings::TomlValue& value) {
      if (value.type != settings::Type::String)
        throw settings::ConfigError(origin + ":" + std::to_string(value.line) + ": '" + key + "' must be a string");
      return value.text;
    };
    for (const auto& [key, value] : entries) {
      const auto dot = key.find('.');
      const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
      const std::string name = dot == std::string::npos ? key : key.substr(dot + 1);
      if (section == "api_keys") {
        Key k;
        k.principal.name = name;
        k.sha256 = key_hash_from_entry(string_value(key, value), origin);
        auth.keys_.push_back(std::move(k));
      } else if (section == "users") {
        add_user(name, string_value(key, value), false);
      } else if (section != "read_only") {
        throw settings::ConfigError(origin + ": unknown entry '" + key + "' (sections: api_keys, users, read_only)");
      }
    }
    for (const auto& [key, value] : entries) {
      if (key.rfind("read_only.", 0) != 0 || value.text != "true") continue;
      const std::string name = key.substr(10);
      bool found = false;
      for (auto& k : auth.keys_)
        if (k.principal.name == name) k.principal.read_only = found = true;
      if (auto it = auth.users_.find(name); it != auth.users_.end()) it->second.principal.read_only = found = true;
      if (!found) throw settings::ConfigError(origin + ": read_only names unknown user or key '" + name + "'");
    }
  }
  if (auth.keys_.empty() && auth.users_.empty()) throw settings::ConfigError(origin + ": no api_keys and no users");
  return auth;
}

std::optional<Principal> Authenticator::authenticate(const std::string& header) const {
  if (header.rfind("Bearer ", 0) == 0) {
    const std::string presented = common::sha256_raw(header.substr(7));
    std::optional<Principal> match;
    for (const auto& k : keys_)  // compare against every key: timing does not reveal which matched
      if (equal_constant_time(presented, k.sha256)) match = k.principal;
    return match;
  }
  if (header.rfind("Basic ", 0) == 0) {
    auto decoded = common::base64_decode(header.substr(6));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string name = decoded->substr(0, colon), password = decoded->substr(colon + 1);
    const std::string fingerprint = common::sha256_raw(*decoded);
    {
      std::lock_guard lock(cache_->mutex);
      if (auto it = cache_->verified.find(fingerprint); it != cache_->verified.end()) return it->second;
    }
    const auto it = users_.find(name);
    if (it == users_.end()) {
      pbkdf2(password, "edgeocr-no-such-user", 210000, 32);  // same work as a real check
      return std::nullopt;
    }
    const User& user = it->second;
    if (!equal_constant_time(pbkdf2(password, user.salt, user.iterations, user.hash.size()), user.hash))
      return std::nullopt;
    std::lock_guard lock(cache_->mutex);
    if (cache_->verified.size() > 1024) cache_->verified.clear();
    cache_->verified[fingerprint] = user.principal;
    return user.principal;
  }
  return std::nullopt;
}

}  // namespace edgeocr::serve

namespace edgeocr::serve {

bool LoginBackoff::blocked(const std::string& address, int* retry_after_s) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(address);
  if (it == entries_.end()) return false;
  const auto left = it->second.until - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return false;
  *retry_after_s = static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count());
  return true;
}

void LoginBackoff::failed(const std::string& address) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  // Bounded memory under a flood of addresses: forget the ones no longer waiting.
  if (entries_.size() >= 10000)
    std::erase_if(entries_, [&](const auto& e) { return e.second.until + std::chrono::seconds(kMaxDelayS) < now; });
  if (entries_.size() >= 10000) entries_.erase(entries_.begin());
  Entry& e = entries_[address];
  ++e.failures;
  if (e.failures > kFreeFailures) {
    const int delay = std::min(kMaxDelayS, 1 << std::min(e.failures - kFreeFailures - 1, 6));
    e.until = now + std::chrono::seconds(delay);
  }
}

void LoginBackoff::succeeded(const std::string& address) {
  std::lock_guard lock(mutex_);
  entries_.erase(address);
}

}  // namespace edgeocr::serve
