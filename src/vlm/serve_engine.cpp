#include "vlm/serve_engine.h"

#include <opencv2/imgcodecs.hpp>

#include "extract/extract.h"

namespace edgeocr::vlm {
namespace {

serve::ApiError to_api_error(const VlmError& e) {
  switch (e.kind()) {
    case VlmError::Kind::unavailable: return serve::ApiError(503, "vlm_unavailable", e.what());
    case VlmError::Kind::overloaded: return serve::ApiError(503, "vlm_busy", e.what());
    case VlmError::Kind::rejected: return serve::ApiError(502, "vlm_rejected", e.what());
    case VlmError::Kind::bad_response: return serve::ApiError(502, "vlm_bad_response", e.what());
  }
  return serve::ApiError(502, "vlm_error", e.what());
}

// Whether the native extractor can answer the request (cheap: no document needed).
bool native_can_extract(const serve::OcrRequest& request) {
  if (!request.wants_extraction()) return true;
  extract::ExtractRequest er;
  er.schema = request.schema;
  er.instruction = request.instruction;
  er.fields = request.fields;
  try {
    extract::resolve_fields(er);
    return true;
  } catch (const extract::UnsupportedInstruction&) {
    return false;
  } catch (const extract::InvalidRequest&) {
    return true;  // native reports the bad request itself
  }
}

class VlmEngine : public serve::OcrEngine {
 public:
  VlmEngine(const VlmSettings& settings, std::shared_ptr<VlmBackend> backend, std::unique_ptr<serve::OcrEngine> native)
      : router_(settings, std::move(backend)), native_(std::move(native)) {}

  nlohmann::json recognize(const serve::OcrRequest& request) override {
    VlmRequest vlm_request;
    try {
      vlm_request = make_request(request.task, request.instruction, request.fields, request.schema);
    } catch (const std::invalid_argument& e) {
      throw serve::ApiError(400, "bad_parameter", e.what());
    }
    const auto bytes = request.image();
    if (bytes.empty()) throw serve::ApiError(400, "bad_image", "the image is empty");
    const cv::Mat image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())),
                                       cv::IMREAD_COLOR);
    if (image.empty()) throw serve::ApiError(400, "bad_image", "the image could not be decoded");

    NativeRunner native;
    if (native_) {
      native = [this, &request] {
        NativeRun run;
        serve::OcrRequest plain = request;
        if (!native_can_extract(request)) {
          run.unsupported_instruction = true;
          plain.instruction.clear();
          plain.fields.clear();
          plain.schema.clear();
        }
        try {
          run.result = native_->recognize(plain);
        } catch (const serve::ApiError& e) {
          if (e.status() != 501 || !plain.wants_extraction()) throw;
          // Extraction not built in: answer the OCR part natively, the rest through the VLM.
          run.unsupported_instruction = true;
          plain.instruction.clear();
          plain.fields.clear();
          plain.schema.clear();
          run.result = native_->recognize(plain);
        }
        return run;
      };
    }
    try {
      return router_.run(image, vlm_request, native);
    } catch (const VlmError& e) {
      throw to_api_error(e);
    } catch (const std::invalid_argument& e) {
      throw serve::ApiError(400, "bad_parameter", e.what());
    }
  }

 private:
  Router router_;
  std::unique_ptr<serve::OcrEngine> native_;
};

}  // namespace

const std::vector<std::string>& serve_setting_keys() {
  static const std::vector<std::string> keys{"vlm.url",         "vlm.model",       "vlm.key_file",
                                             "vlm.timeout",     "vlm.max_inflight", "vlm.min_confidence",
                                             "vlm.retries",     "vlm.max_tokens",  "vlm.low_confidence_routing",
                                             "vlm.language"};
  return keys;
}

VlmSettings settings_from(const std::string& backend, const std::function<std::string(const std::string&)>& get) {
  VlmSettings s;
  s.backend = parse_backend(backend);
  for (const auto& key : serve_setting_keys()) {
    const std::string value = get(key);
    if (!value.empty()) apply_vlm_setting(s, key, value);
  }
  return s;
}

serve::EngineFactory make_serve_engine_factory(const VlmSettings& settings, serve::EngineFactory native_factory) {
  if (settings.backend == BackendKind::native) throw std::invalid_argument("make_serve_engine_factory: native backend");
  if (settings.backend == BackendKind::hybrid && !native_factory) {
    throw std::invalid_argument("--backend hybrid needs the native pipeline, which this build does not have");
  }
  auto backend = std::make_shared<VlmBackend>(settings);  // reads the key file now: errors at start
  return [settings, backend, native_factory]() -> std::unique_ptr<serve::OcrEngine> {
    return std::make_unique<VlmEngine>(settings, backend, native_factory ? native_factory() : nullptr);
  };
}

}  // namespace edgeocr::vlm
