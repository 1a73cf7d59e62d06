// Backend selection and VLM settings, built from the vlm.* and `backend` settings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "settings/settings.h"
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

// VLM settings from resolved settings (settings/keys.cpp declares every vlm.* key with its
// range, so the values are already checked). `backend` is taken when it was resolved; otherwise
// the default (native) stays and the caller chooses.
VlmSettings vlm_settings_from(const settings::Settings& settings);

// Client options with the API key read from key_file (trimmed). Throws std::runtime_error if the
// file cannot be read or is empty.
ClientOptions resolved_client_options(const VlmSettings& settings);

}  // namespace edgeocr::vlm
