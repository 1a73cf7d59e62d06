// Backend selection and VLM settings: `--backend native|openai|vllm|hybrid`, `--vlm-*` flags,
// config keys `vlm.*` / `backend`, environment variables EDGEOCR_VLM_* / EDGEOCR_BACKEND.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "vlm/client.h"

namespace edgeocr::vlm {

enum class BackendKind { native, openai, hybrid };
std::string_view to_string(BackendKind kind);
// "native", "openai", "vllm" (= openai), "hybrid"; throws std::invalid_argument otherwise.
BackendKind parse_backend(std::string_view name);

struct VlmSettings {
  BackendKind backend = BackendKind::native;
  ClientOptions client;                 // url, model, timeout, max in-flight, retries, breaker
  std::string key_file;                 // API key file (one line); read by resolved_client_options()
  double min_confidence = 0.6;          // hybrid: mean native line confidence below this -> VLM
  bool route_low_confidence = true;     // hybrid: enable the confidence rule above
  std::string prompt_language = "zh";   // prompts for requests without text: zh (works better) | en
};

// Adds --vlm-url, --vlm-model, --vlm-key-file, --vlm-timeout, --vlm-max-inflight,
// --vlm-min-confidence, --vlm-retries, --vlm-max-tokens, --vlm-low-confidence-routing,
// --vlm-language; and --backend when `with_backend_flag` (the server may own that flag and call
// parse_backend itself).
void add_vlm_cli_options(CLI::App& app, VlmSettings& settings, bool with_backend_flag = true);

// Config keys: "backend", "vlm.url", "vlm.model", "vlm.key_file", "vlm.timeout" (seconds),
// "vlm.max_inflight", "vlm.min_confidence", "vlm.retries", "vlm.max_tokens",
// "vlm.low_confidence_routing" (true/false), "vlm.language", "vlm.breaker_threshold",
// "vlm.breaker_cooldown" (seconds). Returns false for a key that is not ours; throws
// std::invalid_argument for a bad value.
bool apply_vlm_setting(VlmSettings& settings, std::string_view key, std::string_view value);

// EDGEOCR_BACKEND and EDGEOCR_VLM_<KEY> (e.g. EDGEOCR_VLM_URL, EDGEOCR_VLM_MAX_INFLIGHT).
void apply_vlm_environment(VlmSettings& settings);

// Client options with the API key read from key_file (trimmed). Throws std::runtime_error if the
// file cannot be read or is empty.
ClientOptions resolved_client_options(const VlmSettings& settings);

}  // namespace edgeocr::vlm
