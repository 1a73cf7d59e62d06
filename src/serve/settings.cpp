#include "serve/settings.h"

#include "ocr/model_set.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace edgeocr::serve {

const std::vector<SettingSpec>& setting_specs() {
  using T = SettingType;
  static const std::vector<SettingSpec> specs = {
      {"config", "--config", "EDGEOCR_CONFIG", T::String, "", "config file (TOML subset: key = value, [sections])"},
      {"host", "--host", "EDGEOCR_HOST", T::String, "",
       "address to listen on (default 127.0.0.1; 0.0.0.0 when an auth file is configured)"},
      {"port", "--port", "EDGEOCR_PORT", T::Int, "8000", "TCP port"},
      {"model_path", "--model-path", "EDGEOCR_MODEL_PATH", T::String, "",
       "folder with the OCR models (unset: the first of ./models, /usr/share/edgeocr/models, "
       "../share/edgeocr/models beside the binary)"},
      {"models", "--models", "EDGEOCR_MODELS", T::String, std::string(ocr::kDefaultModelSet),
       "model set: v4 | v5 | v6-small | v6-tiny (requests may name another with `models`)"},
      {"fields_model", "--fields-model", "EDGEOCR_FIELDS_MODEL", T::String, "",
       "learned receipt field model (edgeocr fields train); empty = rules only"},
      {"device", "--device", "EDGEOCR_DEVICE", T::String, "cpu", "inference device (only cpu is compiled in)"},
      {"backend", "--backend", "EDGEOCR_BACKEND", T::String, "native",
       "OCR backend: native | openai | vllm (= openai) | hybrid (native first, VLM when needed)"},
      {"vlm.url", "--vlm-url", "EDGEOCR_VLM_URL", T::String, "http://127.0.0.1:8001/v1",
       "VLM server (vLLM / llama-server), OpenAI-compatible base URL"},
      {"vlm.model", "--vlm-model", "EDGEOCR_VLM_MODEL", T::String, "tencent/HunyuanOCR", "VLM model name"},
      {"vlm.key_file", "--vlm-key-file", "EDGEOCR_VLM_KEY_FILE", T::String, "", "file with the VLM API key (Bearer)"},
      {"vlm.timeout", "--vlm-timeout", "EDGEOCR_VLM_TIMEOUT", T::Float, "60", "seconds per VLM attempt"},
      {"vlm.max_inflight", "--vlm-max-inflight", "EDGEOCR_VLM_MAX_INFLIGHT", T::Int, "4", "VLM requests in flight"},
      {"vlm.min_confidence", "--vlm-min-confidence", "EDGEOCR_VLM_MIN_CONFIDENCE", T::Float, "0.6",
       "hybrid: pages with a lower mean line confidence go to the VLM"},
      {"vlm.low_confidence_routing", "--vlm-low-confidence-routing", "EDGEOCR_VLM_LOW_CONFIDENCE_ROUTING", T::Bool,
       "true", "hybrid: send low-confidence pages to the VLM"},
      {"vlm.retries", "--vlm-retries", "EDGEOCR_VLM_RETRIES", T::Int, "3", "attempts per VLM request (429/5xx/connection)"},
      {"vlm.max_tokens", "--vlm-max-tokens", "EDGEOCR_VLM_MAX_TOKENS", T::Int, "16384", "max_tokens per VLM answer"},
      {"vlm.top_k", "--vlm-top-k", "EDGEOCR_VLM_TOP_K", T::Int, "1", "top_k sent to the VLM (model card: 1)"},
      {"vlm.repetition_penalty", "--vlm-repetition-penalty", "EDGEOCR_VLM_REPETITION_PENALTY", T::Float, "1.0",
       "repetition_penalty sent to the VLM (model card: 1.0 for v1.0, 1.08 for v1.5)"},
      {"vlm.language", "--vlm-language", "EDGEOCR_VLM_LANGUAGE", T::String, "zh",
       "VLM prompt language when the request has no text of its own: zh | en"},
      {"threads", "--threads", "EDGEOCR_THREADS", T::Int, "2", "inference threads per worker"},
      {"workers", "--workers", "EDGEOCR_WORKERS", T::Int, "1", "inference workers (they share one copy of the models)"},
      {"data_dir", "--data-dir", "EDGEOCR_DATA_DIR", T::String, "./data", "archive folder (SQLite + images)"},
      {"tls_cert", "--tls-cert", "EDGEOCR_TLS_CERT", T::String, "", "TLS certificate (PEM); enables HTTPS"},
      {"tls_key", "--tls-key", "EDGEOCR_TLS_KEY", T::String, "", "TLS private key (PEM)"},
      {"auth_file", "--auth-file", "EDGEOCR_AUTH_FILE", T::String, "",
       "auth file (JSON or TOML: API keys and users); every route but /healthz then needs auth"},
      {"log_level", "--log-level", "EDGEOCR_LOG_LEVEL", T::String, "info", "trace|debug|info|warn|error"},
      {"limits.max_body_mb", "--max-body-mb", "EDGEOCR_MAX_BODY_MB", T::Float, "20", "largest request body (MB) -> 413"},
      {"limits.max_pixels", "--max-pixels", "EDGEOCR_MAX_PIXELS", T::Int, "40000000",
       "largest image (width*height) -> 413"},
      {"limits.queue_length", "--queue-length", "EDGEOCR_QUEUE_LENGTH", T::Int, "16",
       "jobs waiting for a worker before 503 + Retry-After"},
      {"limits.request_timeout_s", "--request-timeout", "EDGEOCR_REQUEST_TIMEOUT", T::Float, "60",
       "seconds a request may wait + run before 504"},
      {"limits.read_timeout_s", "--read-timeout", "EDGEOCR_READ_TIMEOUT", T::Int, "15",
       "deadline for a whole request body (s)"},
      {"limits.write_timeout_s", "--write-timeout", "EDGEOCR_WRITE_TIMEOUT", T::Int, "15",
       "deadline for writing a whole response (s)"},
      {"limits.header_timeout_s", "--header-timeout", "EDGEOCR_HEADER_TIMEOUT", T::Float, "10",
       "deadline for a whole request line + headers (s)"},
      {"limits.keep_alive_timeout_s", "--keep-alive-timeout", "EDGEOCR_KEEP_ALIVE_TIMEOUT", T::Float, "5",
       "idle time before a keep-alive connection is closed (s)"},
      {"limits.max_header_kb", "--max-header-kb", "EDGEOCR_MAX_HEADER_KB", T::Int, "16",
       "largest request line + headers (KiB) -> 431"},
      {"limits.max_connections", "--max-connections", "EDGEOCR_MAX_CONNECTIONS", T::Int, "256",
       "open connections; more get an immediate 503"},
      {"web_port", "--web-port", "EDGEOCR_WEB_PORT", T::Int, "0",
       "also serve the web page (only the page and its assets) on this port, e.g. 7860; 0 = off"},
      // Store-and-forward sync to head office (src/sync); enabled when sync.url is set.
      {"sync.url", "--sync-url", "EDGEOCR_SYNC_URL", T::String, "", "head-office collector, https://host:port"},
      {"sync.ca", "--sync-ca", "EDGEOCR_SYNC_CA", T::String, "", "CA file that signs the collector's certificate"},
      {"sync.client_cert", "--sync-client-cert", "EDGEOCR_SYNC_CLIENT_CERT", T::String, "", "client certificate (mTLS)"},
      {"sync.client_key", "--sync-client-key", "EDGEOCR_SYNC_CLIENT_KEY", T::String, "", "client key (mTLS)"},
      {"sync.key_file", "--sync-key-file", "EDGEOCR_SYNC_KEY_FILE", T::String, "", "store key, 64 hex chars, mode 0600"},
      {"sync.key_id", "--sync-key-id", "EDGEOCR_SYNC_KEY_ID", T::String, "", "key id (default: key fingerprint)"},
      {"sync.store_id", "--sync-store-id", "EDGEOCR_SYNC_STORE_ID", T::String, "", "this shop's id at head office"},
      {"sync.interval", "--sync-interval", "EDGEOCR_SYNC_INTERVAL", T::Float, "30", "seconds between sync rounds"},
      {"sync.batch_size", "--sync-batch-size", "EDGEOCR_SYNC_BATCH_SIZE", T::Int, "200", "records per batch"},
      {"sync.images", "--sync-images", "EDGEOCR_SYNC_IMAGES", T::String, "none", "none|thumbnail|full"},
      {"sync.batch_bytes", "--sync-batch-bytes", "EDGEOCR_SYNC_BATCH_BYTES", T::Int, "8388608",
       "largest batch (payload + image bytes)"},
      {"sync.timeout", "--sync-timeout", "EDGEOCR_SYNC_TIMEOUT", T::Float, "30", "seconds per push (connect/read)"},
      {"sync.max_backoff", "--sync-max-backoff", "EDGEOCR_SYNC_MAX_BACKOFF", T::Float, "300",
       "longest wait between failed rounds (a collector's Retry-After may ask for longer)"},
      // Retention on this machine (0 = keep forever); records head office has not acknowledged
      // are kept while sync is configured.
      {"retention.images_days", "--retention-images-days", "EDGEOCR_RETENTION_IMAGES_DAYS", T::Float, "0",
       "delete stored images of records older than this many days (0: keep)"},
      {"retention.records_days", "--retention-records-days", "EDGEOCR_RETENTION_RECORDS_DAYS", T::Float, "0",
       "delete records older than this many days (0: keep)"},
  };
  return specs;
}

namespace {

const SettingSpec& spec_for(const std::string& key) {
  for (const auto& s : setting_specs())
    if (s.key == key) return s;
  throw ConfigError("unknown setting '" + key + "'");
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_bool(const std::string& v, bool& out) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true" || l == "1" || l == "yes" || l == "on") return out = true, true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return out = false, true;
  return false;
}

void check_type(const SettingSpec& spec, const std::string& value, const std::string& origin) {
  if (value.empty()) return;
  const auto bad = [&](const char* what) {
    return ConfigError(spec.key + " (" + origin + "): '" + value + "' is not " + what);
  };
  try {
    size_t used = 0;
    switch (spec.type) {
      case SettingType::Int:
        std::stoll(value, &used);
        if (used != value.size()) throw bad("an integer");
        break;
      case SettingType::Float:
        std::stod(value, &used);
        if (used != value.size()) throw bad("a number");
        break;
      case SettingType::Bool: {
        bool b;
        if (!parse_bool(value, b)) throw bad("true or false");
        break;
      }
      case SettingType::String:
        break;
    }
  } catch (const std::logic_error&) {
    throw bad(spec.type == SettingType::Int ? "an integer" : "a number");
  }
}

}  // namespace

std::map<std::string, std::string> parse_toml_subset(const std::string& text, const std::string& origin) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line, section;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto where = [&] { return origin + ":" + std::to_string(number) + ": "; };
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t[0] == '[') {
      const auto close = t.find(']');
      if (close == std::string::npos) throw ConfigError(where() + "expected [section]");
      const std::string rest = trim(t.substr(close + 1));
      if (!rest.empty() && rest[0] != '#') throw ConfigError(where() + "unexpected text after [section]");
      section = trim(t.substr(1, close - 1));
      if (section.empty() || section.find_first_of(" \t\"'[") != std::string::npos)
        throw ConfigError(where() + "bad section name");
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) throw ConfigError(where() + "expected key = value");
    std::string key = trim(t.substr(0, eq));
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    if (key.empty()) throw ConfigError(where() + "missing key");
    std::replace(key.begin(), key.end(), '-', '_');
    std::string raw = trim(t.substr(eq + 1));
    std::string value;
    if (raw.empty()) throw ConfigError(where() + "missing value for '" + key + "'");
    if (raw[0] == '"') {
      size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (++i >= raw.size()) break;
          switch (raw[i]) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case '"': value += '"'; break;
            case '\\': value += '\\'; break;
            default: throw ConfigError(where() + "unsupported escape \\" + std::string(1, raw[i]));
          }
        } else {
          value += c;
        }
      }
      const std::string rest = closed ? trim(raw.substr(i + 1)) : "";
      if (!closed || (!rest.empty() && rest[0] != '#')) throw ConfigError(where() + "unterminated or malformed string");
    } else if (raw[0] == '\'') {
      const auto close = raw.find('\'', 1);
      const std::string rest = close == std::string::npos ? "" : trim(raw.substr(close + 1));
      if (close == std::string::npos || (!rest.empty() && rest[0] != '#'))
        throw ConfigError(where() + "unterminated or malformed string");
      value = raw.substr(1, close - 1);
    } else {
      const auto hash = raw.find('#');
      value = trim(raw.substr(0, hash));
      bool b;
      char* end = nullptr;
      const bool numeric = !value.empty() && (std::strtod(value.c_str(), &end), *end == '\0');
      if (!numeric && !parse_bool(value, b))
        throw ConfigError(where() + "value of '" + key + "' must be a \"string\", a number or true/false");
    }
    const std::string full = section.empty() ? key : section + "." + key;
    if (out.count(full)) throw ConfigError(where() + "'" + full + "' is set twice");
    out[full] = value;
  }
  return out;
}

std::string default_config_text() {
  std::ostringstream out;
  out << "# EdgeOCR settings for `edgeocr serve --config FILE` (TOML subset).\n"
         "# Every key is listed with its default, commented out: uncomment a line to change it.\n"
         "# Precedence: command-line flag > environment variable > this file > default.\n"
         "# Relative paths are relative to the working folder (/var/lib/edgeocr for the service).\n";
  const auto render = [&out](const SettingSpec& spec, const std::string& name) {
    out << "\n# " << spec.help << " [" << spec.flag << ", " << spec.env << "]\n#" << name << " = ";
    if (spec.type == SettingType::String) {
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
  for (const auto& spec : setting_specs()) {
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
    for (const auto& spec : setting_specs())
      if (spec.key.rfind(section + ".", 0) == 0) render(spec, spec.key.substr(section.size() + 1));
  }
  return out.str();
}

std::string Settings::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("unknown setting '" + key + "'");
  return it->second;
}

int Settings::get_int(const std::string& key) const { return std::stoi(get(key)); }
double Settings::get_double(const std::string& key) const { return std::stod(get(key)); }
bool Settings::get_bool(const std::string& key) const {
  bool b = false;
  parse_bool(get(key), b);
  return b;
}
std::string Settings::source(const std::string& key) const {
  const auto it = sources_.find(key);
  return it == sources_.end() ? "default" : it->second;
}
void Settings::set(const std::string& key, const std::string& value, const std::string& source) {
  values_[key] = value;
  sources_[key] = source;
}

Settings resolve_settings(const std::map<std::string, std::string>& flags,
                          const std::function<const char*(const char*)>& getenv) {
  for (const auto& [key, value] : flags) spec_for(key);  // reject unknown keys early

  std::string config_path;
  if (auto it = flags.find("config"); it != flags.end()) {
    config_path = it->second;
  } else if (const char* env = getenv("EDGEOCR_CONFIG"); env && *env) {
    config_path = env;
  }
  std::map<std::string, std::string> config;
  if (!config_path.empty()) {
    std::ifstream in(config_path);
    if (!in) throw ConfigError("cannot read config file " + config_path);
    std::stringstream text;
    text << in.rdbuf();
    config = parse_toml_subset(text.str(), config_path);
    for (const auto& entry : config) {
      const std::string& key = entry.first;  // a plain name: clang 14 cannot capture structured bindings
      const bool known = std::any_of(setting_specs().begin(), setting_specs().end(),
                                     [&](const SettingSpec& s) { return s.key == key && key != "config"; });
      if (!known) throw ConfigError(config_path + ": unknown key '" + key + "'");
    }
  }

  Settings settings;
  for (const auto& spec : setting_specs()) {
    if (auto it = flags.find(spec.key); it != flags.end()) {
      check_type(spec, it->second, spec.flag);
      settings.set(spec.key, it->second, "flag");
    } else if (const char* env = getenv(spec.env.c_str()); env != nullptr) {
      check_type(spec, env, spec.env);
      settings.set(spec.key, env, "env");
    } else if (auto c = config.find(spec.key); c != config.end()) {
      check_type(spec, c->second, config_path);
      settings.set(spec.key, c->second, "config");
    } else {
      settings.set(spec.key, spec.default_value, "default");
    }
  }
  if (!config_path.empty()) settings.set("config", config_path, "flag");
  return settings;
}

}  // namespace edgeocr::serve
