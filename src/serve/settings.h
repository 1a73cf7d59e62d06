// `edgeocr serve` settings: one table of every setting with its flag, environment variable and
// config-file key, resolved with precedence flag > environment > config file > default.
// To add a setting (e.g. the VLM backend's), append a row to setting_specs() in settings.cpp;
// the flag, the env var, the config key and the --help text follow from that row.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeocr::serve {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class SettingType { String, Int, Float, Bool };

struct SettingSpec {
  std::string key;            // config key, "section.name" for [section] name = ...
  std::string flag;           // "--model-path"
  std::string env;            // "EDGEOCR_MODEL_PATH"
  SettingType type;
  std::string default_value;  // as text; empty = unset
  std::string help;
};

const std::vector<SettingSpec>& setting_specs();

// Parses the TOML subset used by EdgeOCR config files: `# comments`, `[section]`, and
// `key = value` with "strings" (\" \\ \n \t escapes), 'literal strings', integers, floats and
// true/false. Returns "section.key" -> value text. Throws ConfigError naming the line.
std::map<std::string, std::string> parse_toml_subset(const std::string& text, const std::string& origin = "config");

// A config file listing every key with its default, each commented out (the packaged
// /etc/edgeocr/edgeocr.toml), so the file and this table cannot drift apart.
std::string default_config_text();

class Settings {
 public:
  std::string get(const std::string& key) const;  // text value; throws on unknown key
  int get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  bool is_set(const std::string& key) const { return !get(key).empty(); }
  // Where a value came from: "flag", "env", "config" or "default".
  std::string source(const std::string& key) const;
  void set(const std::string& key, const std::string& value, const std::string& source);

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
};

// `flags`: key -> value for the flags given on the command line. `getenv` looks up environment
// variables (std::getenv in production). The config file is --config / EDGEOCR_CONFIG when given.
// Every value is type-checked; errors name the setting and where the bad value came from.
Settings resolve_settings(const std::map<std::string, std::string>& flags,
                          const std::function<const char*(const char*)>& getenv);

}  // namespace edgeocr::serve
