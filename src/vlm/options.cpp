#include "vlm/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace edgeocr::vlm {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

double to_double(std::string_view key, std::string_view v) {
  double out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) {
    throw std::invalid_argument(std::string(key) + ": not a number: '" + std::string(v) + "'");
  }
  return out;
}

int to_positive_int(std::string_view key, std::string_view v) {
  const double d = to_double(key, v);
  if (d < 1 || d != static_cast<int>(d)) {
    throw std::invalid_argument(std::string(key) + ": expected a positive integer, got '" + std::string(v) + "'");
  }
  return static_cast<int>(d);
}

bool to_bool(std::string_view key, std::string_view v) {
  const std::string l = lower(v);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  throw std::invalid_argument(std::string(key) + ": expected true or false, got '" + std::string(v) + "'");
}

std::chrono::milliseconds seconds(std::string_view key, std::string_view v) {
  const double s = to_double(key, v);
  if (s <= 0) throw std::invalid_argument(std::string(key) + ": must be > 0 seconds");
  return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

void check_language(const std::string& language) {
  if (language != "zh" && language != "en") {
    throw std::invalid_argument("vlm.language must be zh or en, got '" + language + "'");
  }
}

}  // namespace

std::string_view to_string(BackendKind kind) {
  switch (kind) {
    case BackendKind::native: return "native";
    case BackendKind::openai: return "openai";
    case BackendKind::hybrid: return "hybrid";
  }
  return "unknown";
}

BackendKind parse_backend(std::string_view name) {
  const std::string n = lower(name);
  if (n == "native") return BackendKind::native;
  if (n == "openai" || n == "vllm") return BackendKind::openai;
  if (n == "hybrid") return BackendKind::hybrid;
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (expected native, openai, vllm or hybrid)");
}

void add_vlm_cli_options(CLI::App& app, VlmSettings& s, bool with_backend_flag) {
  if (with_backend_flag) {
    app.add_option_function<std::string>(
           "--backend", [&s](const std::string& v) { s.backend = parse_backend(v); },
           "native (default) | openai | vllm (= openai) | hybrid (native first, VLM when needed)")
        ->envname("EDGEOCR_BACKEND");
  }
  app.add_option("--vlm-url", s.client.base_url, "OpenAI-compatible base URL (vLLM, llama-server)")
      ->envname("EDGEOCR_VLM_URL")
      ->capture_default_str();
  app.add_option("--vlm-model", s.client.model, "model name sent in each request")
      ->envname("EDGEOCR_VLM_MODEL")
      ->capture_default_str();
  app.add_option("--vlm-key-file", s.key_file, "file holding the API key (sent as Bearer token)")
      ->envname("EDGEOCR_VLM_KEY_FILE");
  app.add_option_function<double>(
         "--vlm-timeout",
         [&s](double v) {
           if (v <= 0) throw CLI::ValidationError("--vlm-timeout", "must be > 0 seconds");
           s.client.timeout = std::chrono::milliseconds(static_cast<long long>(v * 1000));
         },
         "seconds per VLM attempt (default 60)")
      ->envname("EDGEOCR_VLM_TIMEOUT");
  app.add_option("--vlm-max-inflight", s.client.max_inflight, "VLM requests in flight at once")
      ->envname("EDGEOCR_VLM_MAX_INFLIGHT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--vlm-min-confidence", s.min_confidence,
                 "hybrid: mean native line confidence below which the VLM reads the page")
      ->envname("EDGEOCR_VLM_MIN_CONFIDENCE")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--vlm-low-confidence-routing", s.route_low_confidence,
                 "hybrid: send low-confidence pages to the VLM (true/false)")
      ->envname("EDGEOCR_VLM_LOW_CONFIDENCE_ROUTING")
      ->capture_default_str();
  app.add_option("--vlm-retries", s.client.max_attempts, "attempts per VLM request (1 = no retry)")
      ->envname("EDGEOCR_VLM_RETRIES")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--vlm-max-tokens", s.client.max_tokens, "max_tokens per VLM answer")
      ->envname("EDGEOCR_VLM_MAX_TOKENS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--vlm-top-k", s.client.top_k, "top_k sent with each request (model card: 1)")
      ->envname("EDGEOCR_VLM_TOP_K")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--vlm-repetition-penalty", s.client.repetition_penalty,
                 "repetition_penalty sent with each request (model card: 1.0 for v1.0, 1.08 for v1.5)")
      ->envname("EDGEOCR_VLM_REPETITION_PENALTY")
      ->check(CLI::Range(0.5, 2.0))
      ->capture_default_str();
  app.add_option("--vlm-language", s.prompt_language, "prompt language when the request has no text: zh | en")
      ->envname("EDGEOCR_VLM_LANGUAGE")
      ->check(CLI::IsMember({"zh", "en"}))
      ->capture_default_str();
}

bool apply_vlm_setting(VlmSettings& s, std::string_view key, std::string_view value) {
  if (key == "backend") s.backend = parse_backend(value);
  else if (key == "vlm.url") s.client.base_url = std::string(value);
  else if (key == "vlm.model") s.client.model = std::string(value);
  else if (key == "vlm.key_file") s.key_file = std::string(value);
  else if (key == "vlm.timeout") s.client.timeout = seconds(key, value);
  else if (key == "vlm.max_inflight") s.client.max_inflight = to_positive_int(key, value);
  else if (key == "vlm.min_confidence") {
    const double c = to_double(key, value);
    if (c < 0 || c > 1) throw std::invalid_argument("vlm.min_confidence must be within 0..1");
    s.min_confidence = c;
  } else if (key == "vlm.retries") s.client.max_attempts = to_positive_int(key, value);
  else if (key == "vlm.max_tokens") s.client.max_tokens = to_positive_int(key, value);
  else if (key == "vlm.top_k") s.client.top_k = to_positive_int(key, value);
  else if (key == "vlm.repetition_penalty") {
    const double r = to_double(key, value);
    if (r < 0.5 || r > 2.0) throw std::invalid_argument("vlm.repetition_penalty must be within 0.5..2.0");
    s.client.repetition_penalty = r;
  } else if (key == "vlm.low_confidence_routing") s.route_low_confidence = to_bool(key, value);
  else if (key == "vlm.language") { s.prompt_language = lower(value); check_language(s.prompt_language); }
  else if (key == "vlm.breaker_threshold") s.client.breaker_failure_threshold = to_positive_int(key, value);
  else if (key == "vlm.breaker_cooldown") s.client.breaker_cool_down = seconds(key, value);
  else return false;
  return true;
}

void apply_vlm_environment(VlmSettings& s) {
  static constexpr std::string_view keys[] = {"url", "model", "key_file", "timeout", "max_inflight",
                                              "min_confidence", "retries", "max_tokens", "low_confidence_routing",
                                              "language", "breaker_threshold", "breaker_cooldown", "top_k",
                                              "repetition_penalty"};
  if (const char* v = std::getenv("EDGEOCR_BACKEND")) apply_vlm_setting(s, "backend", v);
  for (const auto key : keys) {
    std::string env = "EDGEOCR_VLM_";
    for (const char c : key) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (const char* v = std::getenv(env.c_str())) apply_vlm_setting(s, "vlm." + std::string(key), v);
  }
}

ClientOptions resolved_client_options(const VlmSettings& s) {
  ClientOptions options = s.client;
  if (!s.key_file.empty()) {
    std::ifstream in(s.key_file);
    if (!in) throw std::runtime_error("cannot read the VLM key file " + s.key_file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string key = buffer.str();
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    key.erase(key.begin(), std::find_if(key.begin(), key.end(), not_space));
    key.erase(std::find_if(key.rbegin(), key.rend(), not_space).base(), key.end());
    if (key.empty()) throw std::runtime_error("the VLM key file " + s.key_file + " is empty");
    options.api_key = std::move(key);
  }
  return options;
}

}  // namespace edgeocr::vlm
