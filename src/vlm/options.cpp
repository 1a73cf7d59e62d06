#include "vlm/options.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/text.h"

namespace edgeocr::vlm {

std::string_view to_string(BackendKind kind) {
  static constexpr std::string_view kNames[] = {"native", "openai", "hybrid"};  // in enum order
  return kNames[static_cast<int>(kind)];
}

BackendKind parse_backend(std::string_view name) {
  const std::string n = common::ascii_lower(name);
  if (n == "native") return BackendKind::native;
  if (n == "openai" || n == "vllm") return BackendKind::openai;
  if (n == "hybrid") return BackendKind::hybrid;
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (expected native, openai, vllm or hybrid)");
}

VlmSettings vlm_settings_from(const settings::Settings& settings) {
  VlmSettings s;
  if (settings.has("backend")) s.backend = parse_backend(settings.get("backend"));
  const auto seconds = [&settings](const std::string& key) {
    return std::chrono::milliseconds(static_cast<long long>(settings.get_double(key) * 1000));
  };
  const auto integer = [&settings](const std::string& key) { return static_cast<int>(settings.get_int(key)); };
  s.client.base_url = settings.get("vlm.url");
  s.client.model = settings.get("vlm.model");
  s.key_file = settings.get("vlm.key_file");
  s.client.timeout = seconds("vlm.timeout");
  s.client.max_inflight = integer("vlm.max_inflight");
  s.min_confidence = settings.get_double("vlm.min_confidence");
  s.client.max_attempts = integer("vlm.retries");
  s.client.max_tokens = integer("vlm.max_tokens");
  s.client.top_k = integer("vlm.top_k");
  s.client.repetition_penalty = settings.get_double("vlm.repetition_penalty");
  s.route_low_confidence = settings.get_bool("vlm.low_confidence_routing");
  s.prompt_language = settings.get("vlm.language");
  s.client.breaker_failure_threshold = integer("vlm.breaker_threshold");
  s.client.breaker_cool_down = seconds("vlm.breaker_cooldown");
  return s;
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
