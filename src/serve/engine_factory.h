// Backend selection for `edgeocr serve`: the one place that maps --backend to an engine.
// The VLM area adds its backends (openai, vllm, hybrid) in engine_factory.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "serve/metrics.h"
#include "settings/settings.h"

namespace edgeocr::extract {
class FieldModel;
}
#include "serve/native_engine.h"

namespace edgeocr::serve {

std::vector<std::string> available_backends();
// The settings `edgeocr serve` reads: every declared key but the collector's.
std::vector<const settings::Spec*> serve_specs();
// Throws ConfigError for an unknown backend or a device this build cannot use.
engine::EngineFactory make_engine_factory(const settings::Settings& settings);
// Job workers the server runs: `workers` for native; for the VLM backends, also one per VLM
// request allowed in flight (those wait on the network, not on the `workers` OCR engines).
int job_workers(const settings::Settings& settings);
// Gauges of the engines' own state for /metrics (the native runtime's caches); empty for
// backends without any.
Metrics::GaugeSource engine_gauges(const settings::Settings& settings);
// Checks --device: "cpu" only (no CUDA support is compiled in).
void check_device(const std::string& device);
// Structured extraction (src/extract) on native results: unsupported instructions become
// 422 `unsupported_instruction`, malformed requests 400. With a learned field model, receipt
// fields come from it (extract::ExtractRequest::fields_model).
ExtractionHook native_extraction(std::shared_ptr<const extract::FieldModel> fields_model = nullptr);

}  // namespace edgeocr::serve
