#include "serve/engine_factory.h"

#include "extract/extract.h"
#include "extract/learned_fields.h"

#include <spdlog/spdlog.h>

#include "ocr/model_locator.h"
#include "serve/native_engine.h"
#include "vlm/serve_engine.h"

namespace edgeocr::serve {

std::vector<std::string> available_backends() {
  std::vector<std::string> names;
  names.push_back("native");
  for (const char* vlm_backend : {"openai", "vllm"}) names.push_back(vlm_backend);
  names.push_back("hybrid");
  return names;
}

std::vector<const settings::Spec*> serve_specs() {
  std::vector<const settings::Spec*> specs;
  for (const auto& spec : settings::all_specs())
    if (spec.key.rfind("collect.", 0) != 0) specs.push_back(&spec);
  return specs;
}

void check_device(const std::string& device) {
  if (device == "cpu") return;
  if (device.rfind("cuda", 0) == 0 || device.rfind("gpu", 0) == 0)
    throw settings::ConfigError("--device " + device +
                      ": this build of EdgeOCR has no CUDA support compiled in (it is built for CPU-only edge "
                      "machines); use --device cpu");
  throw settings::ConfigError("--device " + device + ": unknown device (use cpu)");
}

// model_path as resolved (flag > env > config), else the shared search; errors are config errors.
std::filesystem::path locate_models(const settings::Settings& settings) {
  const std::string source = settings.source("model_path");
  const std::string origin = source == "flag"  ? "--model-path"
                             : source == "env" ? "EDGEOCR_MODEL_PATH"
                                               : "config " + settings.get("config");
  try {
    const auto dir = ocr::locate_model_dir({settings.get("model_path"), origin});
    spdlog::info("models from {}", dir.string());
    return dir;
  } catch (const ocr::ModelDirNotFound& e) {
    throw settings::ConfigError(e.what());
  }
}

// Structured extraction on the native result; extraction errors become API errors.
ExtractionHook native_extraction(std::shared_ptr<const extract::FieldModel> fields_model) {
  return [fields_model](const ocr::OcrResult& result, const engine::OcrRequest& request) {
    const extract::ExtractRequest wanted{request.schema, request.instruction, request.fields, fields_model};
    try {
      return extract::extract(result, wanted);
    } catch (const extract::UnsupportedInstruction& e) {
      throw engine::ApiError(422, std::string(extract::UnsupportedInstruction::code()), e.what());
    } catch (const extract::InvalidRequest& e) {
      throw engine::ApiError(400, "invalid_request", e.what());
    }
  };
}

Metrics::GaugeSource engine_gauges(const settings::Settings& settings) {
  const std::string backend = settings.get("backend");
  if (backend == "native" || backend == "hybrid")
    return [] {
      const ocr::InferenceMemory m = ocr::inference_memory();
      return std::vector<std::pair<std::string, std::pair<std::string, double>>>{
          {"edgeocr_runtime_primitive_cache_entries",
           {"Prepared kernels (oneDNN primitives) kept by the loaded models; bounded per kernel.",
            double(m.primitive_cache_entries)}},
          {"edgeocr_runtime_pooled_free_bytes",
           {"Activation buffers the inference workers hold free for reuse.", double(m.pooled_free_bytes)}}};
    };
  (void)settings;
  return {};
}

int job_workers(const settings::Settings& settings) {
  const std::string backend = settings.get("backend");
  if (backend == "native") return settings.get_int("workers");
  try {
    return vlm::job_workers(vlm::vlm_settings_from(settings), static_cast<int>(settings.get_int("workers")));
  } catch (const std::exception& e) {
    throw settings::ConfigError(e.what());
  }
}

engine::EngineFactory make_engine_factory(const settings::Settings& settings) {
  check_device(settings.get("device"));
  const std::string backend = settings.get("backend");
  engine::EngineFactory native;
  if (backend == "native" || backend == "hybrid") {
    ocr::PipelineOptions options;
    options.model_dir = locate_models(settings);
    options.models = settings.get("models");
    try {
      options.precision = ocr::parse_precision(settings.get("precision"));
    } catch (const ocr::ModelSetError& e) {
      throw settings::ConfigError(std::string("precision: ") + e.what());
    }
    options.languages = settings.get("lang");
    options.threads = static_cast<int>(settings.get_int("threads"));
    options.limits.max_bytes = static_cast<int64_t>(settings.get_double("limits.max_body_mb") * (1 << 20));
    options.limits.max_pixels = settings.get_int("limits.max_pixels");
    std::shared_ptr<const extract::FieldModel> fields_model;
    if (const std::string path = settings.get("fields_model"); !path.empty()) {
      try {
        fields_model = std::make_shared<const extract::FieldModel>(extract::FieldModel::load(path));
      } catch (const std::exception& e) {
        throw settings::ConfigError(e.what());
      }
    }
    // One loaded copy of each model set for all workers; each worker runs it with its own buffers.
    auto models = std::make_shared<ocr::ModelLibrary>();
    ocr::keep_fewer_compiled_kernels();  // a server sees images of every size for weeks
    native = [options, fields_model, models] {
      return std::make_unique<NativeEngine>(options, native_extraction(fields_model), models);
    };
  }
  if (backend == "native" && native) return native;
  // VLM backends: openai = vllm (the VLM answers everything, no local models needed),
  // hybrid (native first, the VLM for what native cannot do). All workers share one VLM client.
  if (backend == "openai" || backend == "vllm" || (backend == "hybrid" && native)) {
    try {
      return vlm::make_serve_engine_factory(vlm::vlm_settings_from(settings), native,
                                            static_cast<int>(settings.get_int("workers")));
    } catch (const std::exception& e) {
      throw settings::ConfigError(e.what());
    }
  }
  std::string names;
  for (const auto& n : available_backends()) names += (names.empty() ? "" : ", ") + n;
  throw settings::ConfigError("--backend " + backend + ": unknown backend (available: " + (names.empty() ? "none" : names) + ")");
}

}  // namespace edgeocr::serve
