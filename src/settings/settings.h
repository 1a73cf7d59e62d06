// The settings layer of the whole binary. Every setting is declared once (settings/keys.cpp):
// config key, type, default, environment variable, flag, help and allowed range. A command
// picks the settings it uses; values resolve with precedence flag > environment > config file
// (TOML, read with toml++) > default, and are checked against the declaration wherever they come
// from. The same declarations give `--help` (types, defaults, env, key) and `--print-config`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgeocr::settings {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Type { String, Int, Float, Bool };
std::string_view type_name(Type type);  // "string", "integer", "number", "bool"

struct Spec {
  Spec(std::string key_, std::string flag_, std::string env_, Type type_, std::string default_value_, std::string help_,
       std::optional<double> min_ = {}, std::optional<double> max_ = {}, std::vector<std::string> choices_ = {})
      : key(std::move(key_)), flag(std::move(flag_)), env(std::move(env_)), type(type_),
        default_value(std::move(default_value_)), help(std::move(help_)), min(min_), max(max_),
        choices(std::move(choices_)) {}
  std::string key;            // config key, "section.name" for [section] name = ...
  std::string flag;           // "--model-path"
  std::string env;            // "EDGEOCR_MODEL_PATH"
  Type type = Type::String;
  std::string default_value;  // as text; empty = unset
  std::string help;
  std::optional<double> min;  // Int / Float: inclusive bounds
  std::optional<double> max;
  std::vector<std::string> choices;  // String: the allowed values (empty: any text)
};

// Every setting of the binary, in the order of the packaged config file.
const std::vector<Spec>& all_specs();
// nullptr for a key that is not declared.
const Spec* find_spec(std::string_view key);
// The declared settings whose key equals one of `names` or starts with one that ends in '.'
// ("vlm." = every vlm.* key), in declaration order.
std::vector<const Spec*> specs_named(const std::vector<std::string>& names);

// The declared key closest to `key` by edit distance (for "did you mean" in errors).
std::string nearest_key(std::string_view key);

// One scalar of a TOML document, flattened: "section.key" -> its text ("true"/"false" for
// booleans) and TOML type. Arrays, inline tables and dates are rejected.
struct TomlValue {
  std::string text;
  Type type = Type::String;
  int line = 0;
};
// Parses TOML text; errors carry `origin:line:column`. Keys are kept as written.
std::map<std::string, TomlValue> read_toml(std::string_view text, const std::string& origin);

// Reads an EdgeOCR config file: TOML, '-' in key names read as '_' (`model-path` = `model_path`);
// every key must be declared (else an error that names the nearest declared key) and every value
// must fit its declaration.
std::map<std::string, std::string> parse_config(std::string_view text, const std::string& origin);
std::map<std::string, std::string> read_config_file(const std::filesystem::path& path);

// A config file listing every key with its default, each commented out (the packaged
// /etc/edgeocr/edgeocr.toml), so the file and the declarations cannot drift apart.
std::string default_config_text();

class Settings {
 public:
  std::string get(const std::string& key) const;  // text value; throws ConfigError for a key not resolved
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  bool is_set(const std::string& key) const { return !get(key).empty(); }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  // Where a value came from: "flag", "env", "config" or "default".
  std::string source(const std::string& key) const;
  // Path of the config file that was read; empty when none.
  const std::string& config_file() const { return config_file_; }

 private:
  friend Settings resolve(const std::vector<const Spec*>&, const std::map<std::string, std::string>&,
                          const std::function<const char*(const char*)>&);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
  std::string config_file_;
};

using GetEnv = std::function<const char*(const char*)>;
// Resolves `specs` from `flags` (key -> text, the flags given on the command line), the
// environment and the config file (the "config" flag, else EDGEOCR_CONFIG; always accepted). Throws ConfigError
// naming the setting, the bad value and where it came from.
Settings resolve(const std::vector<const Spec*>& specs, const std::map<std::string, std::string>& flags,
                 const GetEnv& getenv);
// The process environment.
const char* process_env(const char* name);

// Checks `value` against `spec` (type, bounds, choices) and returns it in canonical form
// ("true"/"false" for booleans). `origin` names where it came from in the error.
std::string checked_value(const Spec& spec, const std::string& value, const std::string& origin);

}  // namespace edgeocr::settings
