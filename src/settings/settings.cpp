#include "settings/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "common/text.h"

namespace edgeocr::settings {
namespace {

std::optional<bool> parse_bool(std::string_view text) {
  const std::string l = common::ascii_lower(text);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  const char* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  const char* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string number_text(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view leaf(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

void flatten(const toml::table& table, const std::string& prefix, const std::string& origin,
             std::map<std::string, TomlValue>& out) {
  for (auto&& [name, node] : table) {
    const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    const int line = static_cast<int>(node.source().begin.line);
    const auto where = [&] { return origin + ":" + std::to_string(line) + ": "; };
    if (const toml::table* sub = node.as_table()) {
      flatten(*sub, key, origin, out);
    } else if (const auto* s = node.as_string()) {
      out[key] = {s->get(), Type::String, line};
    } else if (const auto* i = node.as_integer()) {
      out[key] = {std::to_string(i->get()), Type::Int, line};
    } else if (const auto* f = node.as_floating_point()) {
      if (!std::isfinite(f->get())) throw ConfigError(where() + "'" + key + "' must be a finite number");
      out[key] = {number_text(f->get()), Type::Float, line};
    } else if (const auto* b = node.as_boolean()) {
      out[key] = {b->get() ? "true" : "false", Type::Bool, line};
    } else {
      throw ConfigError(where() + "'" + key + "' must be a string, a number or true/false (arrays and dates are not settings)");
    }
  }
}

// Files written for the old hand-made reader may hold unquoted words (`images = none`), which
// TOML refuses with a parser-level message; say what to do instead.
std::string bare_word_hint(std::string_view text, size_t line_number) {
  std::istringstream in{std::string(text)};
  std::string line;
  for (size_t i = 0; i < line_number && std::getline(in, line);) ++i;
  const auto eq = line.find('=');
  if (eq == std::string::npos) return "";
  const auto begin = line.find_first_not_of(" \t", eq + 1);
  if (begin == std::string::npos || !std::isalpha(static_cast<unsigned char>(line[begin]))) return "";
  const auto end = line.find_first_of(" \t#", begin);
  const std::string word = line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (word == "true" || word == "false" || word == "inf" || word == "nan") return "";
  return " (text values need quotes: " + line.substr(0, eq) + "= \"" + word + "\")";
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::String: return "string";
    case Type::Int: return "integer";
    case Type::Float: return "number";
    case Type::Bool: return "bool";
  }
  return "string";
}

const Spec* find_spec(std::string_view key) {
  for (const auto& spec : all_specs())
    if (spec.key == key) return &spec;
  return nullptr;
}

std::vector<const Spec*> specs_named(const std::vector<std::string>& names) {
  std::vector<const Spec*> out;
  for (const auto& spec : all_specs()) {
    const bool wanted = std::any_of(names.begin(), names.end(), [&spec](const std::string& name) {
      return name == spec.key || (!name.empty() && name.back() == '.' && spec.key.rfind(name, 0) == 0);
    });
    if (wanted) out.push_back(&spec);
  }
  return out;
}

std::string nearest_key(std::string_view key) {
  std::string best;
  size_t best_score = SIZE_MAX;
  for (const auto& spec : all_specs()) {
    if (spec.key == "config") continue;
    // A misplaced key (`max_body_mb` outside [limits]) matches on its last part.
    const size_t score = std::min(edit_distance(key, spec.key), edit_distance(leaf(key), leaf(spec.key)) + 1);
    if (score < best_score) best_score = score, best = spec.key;
  }
  return best;
}

std::string checked_value(const Spec& spec, const std::string& value, const std::string& origin) {
  const auto bad = [&](const std::string& what) {
    return ConfigError(spec.key + " (" + origin + "): '" + value + "' is not " + what);
  };
  std::optional<double> number;
  std::string canonical = value;
  switch (spec.type) {
    case Type::String:
      if (!spec.choices.empty() && !value.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        std::string list;
        for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
        throw bad("one of " + list);
      }
      return value;
    case Type::Int: {
      const auto i = parse_int(value);
      if (!i) throw bad("an integer");
      number = static_cast<double>(*i);
      canonical = std::to_string(*i);
      break;
    }
    case Type::Float:
      number = parse_double(value);
      if (!number) throw bad("a number");
      canonical = number_text(*number);
      break;
    case Type::Bool: {
      const auto b = parse_bool(value);
      if (!b) throw bad("true or false");
      return *b ? "true" : "false";
    }
  }
  if ((spec.min && *number < *spec.min) || (spec.max && *number > *spec.max)) {
    std::string range = spec.min && spec.max ? number_text(*spec.min) + ".." + number_text(*spec.max)
                        : spec.min           ? ">= " + number_text(*spec.min)
                                             : "<= " + number_text(*spec.max);
    throw ConfigError(spec.key + " (" + origin + "): " + value + " is out of range (" + range + ")");
  }
  return canonical;
}

std::map<std::string, TomlValue> read_toml(std::string_view text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto line_number = e.source().begin.line;
    throw ConfigError(origin + ":" + std::to_string(line_number) + ":" + std::to_string(e.source().begin.column) +
                      ": " + std::string(e.description()) + bare_word_hint(text, line_number));
  }
  std::map<std::string, TomlValue> out;
  flatten(table, "", origin, out);
  return out;
}

std::map<std::string, std::string> parse_config(std::string_view text, const std::string& origin) {
  std::map<std::string, std::string> out;
  for (auto& [written, value] : read_toml(text, origin)) {
    std::string key = written;
    std::replace(key.begin(), key.end(), '-', '_');
    const std::string where = origin + ":" + std::to_string(value.line);
    const Spec* spec = find_spec(key);
    if (spec == nullptr || key == "config")
      throw ConfigError(where + ": unknown key '" + written + "' (did you mean '" + nearest_key(key) + "'?)");
    const bool fits = value.type == spec->type || (spec->type == Type::Float && value.type == Type::Int);
    if (!fits) {
      throw ConfigError(where + ": " + key + " must be " + (spec->type == Type::Int ? "an " : "a ") +
                        std::string(type_name(spec->type)) + ", not a " + std::string(type_name(value.type)) +
                        (spec->type == Type::String ? " (quote it: " + std::string(leaf(key)) + " = \"" + value.text + "\")" : ""));
    }
    if (out.count(key)) throw ConfigError(where + ": '" + key + "' is set twice");
    out[key] = checked_value(*spec, value.text, where);
  }
  return out;
}

std::map<std::string, std::string> read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

std::string default_config_text() {
  std::ostringstream out;
  out << "# EdgeOCR settings (TOML) for `edgeocr serve`, `sync`, `vlm`, `collect` and `archive prune`\n"
         "# with --config FILE. Every key is listed with its default, commented out: uncomment a line\n"
         "# to change it. Precedence: command-line flag > environment variable > this file > default.\n"
         "# Relative paths are relative to the working folder (/var/lib/edgeocr for the service).\n";
  const auto render = [&out](const Spec& spec, std::string_view name) {
    out << "\n# " << spec.help << " (" << type_name(spec.type) << "; " << spec.flag << ", " << spec.env << ")\n#"
        << name << " = ";
    if (spec.type == Type::String) {
      out << '"';
      for (char c : spec.default_value) out << (c == '"' || c == '\\' ? "\\" : "") << c;
      out << '"';
    } else {
      out << spec.default_value;
    }
    out << "\n";
  };
  // Keys without a section first: TOML puts every key after [section] into that section.
  std::vector<std::string> sections;
  for (const auto& spec : all_specs()) {
    const auto dot = spec.key.find('.');
    if (spec.key == "config") continue;
    if (dot == std::string::npos) {
      render(spec, spec.key);
    } else if (std::find(sections.begin(), sections.end(), spec.key.substr(0, dot)) == sections.end()) {
      sections.push_back(spec.key.substr(0, dot));
    }
  }
  for (const auto& section : sections) {
    out << "\n[" << section << "]\n";
    for (const auto& spec : all_specs())
      if (spec.key.rfind(section + ".", 0) == 0) render(spec, std::string_view(spec.key).substr(section.size() + 1));
  }
  return out.str();
}

std::string Settings::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("setting '" + key + "' was not resolved for this command");
  return it->second;
}

int64_t Settings::get_int(const std::string& key) const {
  const std::string text = get(key);
  const auto value = parse_int(text);
  if (!value) throw ConfigError(key + " is not set");
  return *value;
}

double Settings::get_double(const std::string& key) const {
  const std::string text = get(key);
  const auto value = parse_double(text);
  if (!value) throw ConfigError(key + " is not set");
  return *value;
}

bool Settings::get_bool(const std::string& key) const { return get(key) == "true"; }

std::string Settings::source(const std::string& key) const {
  const auto it = sources_.find(key);
  return it == sources_.end() ? "default" : it->second;
}

const char* process_env(const char* name) { return std::getenv(name); }

Settings resolve(const std::vector<const Spec*>& specs, const std::map<std::string, std::string>& flags,
                 const GetEnv& getenv) {
  for (const auto& entry : flags) {
    const std::string& key = entry.first;
    if (key != "config" && std::none_of(specs.begin(), specs.end(), [&key](const Spec* s) { return s->key == key; }))
      throw ConfigError("unknown setting '" + key + "' (did you mean '" + nearest_key(key) + "'?)");
  }
  Settings settings;
  if (auto it = flags.find("config"); it != flags.end()) {
    settings.config_file_ = it->second;
  } else if (const char* env = getenv("EDGEOCR_CONFIG"); env && *env) {
    settings.config_file_ = env;
  }
  const auto config = settings.config_file_.empty() ? std::map<std::string, std::string>{}
                                                     : read_config_file(settings.config_file_);
  for (const Spec* spec : specs) {
    std::string value = spec->default_value, source = "default";
    const char* env = getenv(spec->env.c_str());
    if (spec->key == "config") {
      value = settings.config_file_;
      source = flags.count("config") ? "flag" : (value.empty() ? "default" : "env");
    } else if (auto it = flags.find(spec->key); it != flags.end()) {
      value = checked_value(*spec, it->second, spec->flag);
      source = "flag";
    } else if (env != nullptr && *env != '\0') {
      value = checked_value(*spec, env, spec->env);
      source = "env";
    } else if (auto c = config.find(spec->key); c != config.end()) {
      value = c->second;  // checked when the file was read
      source = "config";
    }
    settings.values_[spec->key] = value;
    settings.sources_[spec->key] = source;
  }
  return settings;
}

}  // namespace edgeocr::settings
