#include "vlm/serve_engine.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <opencv2/imgcodecs.hpp>

#include "extract/extract.h"
#include "ocr/decode.h"

namespace edgeocr::vlm {
namespace {

// Time kept back from the request's deadline for answering after the VLM gave up (native
// result + vlm_unavailable, or the 503), so a hanging VLM never turns into the server's 504.
constexpr std::chrono::milliseconds kAnswerReserve{1000};

engine::ApiError to_api_error(const VlmError& e, const CircuitBreaker* breaker) {
  switch (e.kind()) {
    case VlmError::Kind::unavailable: {
      // While the breaker is open, tell clients when it will let a request through again.
      const auto wait = breaker ? breaker->retry_in() : std::chrono::milliseconds(0);
      const int retry_after_s = wait.count() > 0 ? static_cast<int>((wait.count() + 999) / 1000) : 0;
      return engine::ApiError(503, "vlm_unavailable", e.what(), retry_after_s);
    }
    case VlmError::Kind::overloaded: return engine::ApiError(503, "vlm_busy", e.what());
    case VlmError::Kind::rejected: return engine::ApiError(502, "vlm_rejected", e.what());
    case VlmError::Kind::bad_response: return engine::ApiError(502, "vlm_bad_response", e.what());
  }
  return engine::ApiError(502, "vlm_error", e.what());
}

// Whether the native extractor can answer the request (cheap: no document needed).
bool native_can_extract(const engine::OcrRequest& request) {
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

// The native engines, shared by the job workers; a worker holds one only while native OCR runs.
class NativePool {
 public:
  NativePool(engine::EngineFactory factory, int size) : factory_(std::move(factory)), size_(std::max(1, size)) {}

  // Called from each job worker's engine factory: the first `size` calls build an engine, on
  // that worker's thread at start-up, so a bad model folder fails the start as before.
  void build_one() {
    {
      std::lock_guard lock(mutex_);
      if (reserved_ >= size_) return;
      ++reserved_;
    }
    auto engine = factory_();
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(engine));
    available_.notify_one();
  }

  engine::OcrResponse recognize(const engine::OcrRequest& request) {
    std::unique_ptr<engine::OcrEngine> engine;
    {
      std::unique_lock lock(mutex_);
      available_.wait(lock, [this] { return !idle_.empty(); });
      engine = std::move(idle_.back());
      idle_.pop_back();
    }
    struct GiveBack {
      NativePool& pool;
      std::unique_ptr<engine::OcrEngine>& engine;
      ~GiveBack() {
        std::lock_guard lock(pool.mutex_);
        pool.idle_.push_back(std::move(engine));
        pool.available_.notify_one();
      }
    } give_back{*this, engine};
    return engine->recognize(request);
  }

 private:
  engine::EngineFactory factory_;
  const int size_;
  std::mutex mutex_;
  std::condition_variable available_;
  int reserved_ = 0;
  std::vector<std::unique_ptr<engine::OcrEngine>> idle_;
};

class VlmEngine : public engine::OcrEngine {
 public:
  VlmEngine(const VlmSettings& settings, std::shared_ptr<VlmBackend> backend, std::shared_ptr<NativePool> native)
      : router_(settings, std::move(backend)), native_(std::move(native)) {}

  engine::OcrResponse recognize(const engine::OcrRequest& request) override {
    VlmRequest vlm_request;
    try {
      vlm_request = make_request(request.task, request.instruction, request.fields, request.schema);
    } catch (const std::invalid_argument& e) {
      throw engine::ApiError(400, "bad_parameter", e.what());
    }
    if (request.deadline) vlm_request.deadline = *request.deadline - kAnswerReserve;
    const auto bytes = request.image();
    if (bytes.empty()) throw engine::ApiError(400, "bad_image", "the image is empty");
    const cv::Mat image = ocr::imdecode_guarded(bytes, cv::IMREAD_COLOR);
    if (image.empty()) throw engine::ApiError(400, "bad_image", "the image could not be decoded");

    NativeRunner native;
    if (native_) {
      native = [this, &request] {
        NativeRun run;
        engine::OcrRequest plain = request;
        if (!native_can_extract(request)) {
          run.unsupported_instruction = true;
          plain.instruction.clear();
          plain.fields.clear();
          plain.schema.clear();
        }
        try {
          run.result = native_->recognize(plain);
        } catch (const engine::ApiError& e) {
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
      throw to_api_error(e, router_.vlm() ? &router_.vlm()->client().breaker() : nullptr);
    } catch (const std::invalid_argument& e) {
      throw engine::ApiError(400, "bad_parameter", e.what());
    }
  }

 private:
  Router router_;
  std::shared_ptr<NativePool> native_;
};

}  // namespace

int job_workers(const VlmSettings& settings, int native_engines) {
  return std::max(1, native_engines) + (settings.backend == BackendKind::native ? 0 : settings.client.max_inflight);
}

engine::EngineFactory make_serve_engine_factory(const VlmSettings& settings, engine::EngineFactory native_factory,
                                               int native_engines) {
  if (settings.backend == BackendKind::native) throw std::invalid_argument("make_serve_engine_factory: native backend");
  if (settings.backend == BackendKind::hybrid && !native_factory) {
    throw std::invalid_argument("--backend hybrid needs the native pipeline, which this build does not have");
  }
  auto backend = std::make_shared<VlmBackend>(settings);  // reads the key file now: errors at start
  auto pool = native_factory ? std::make_shared<NativePool>(native_factory, native_engines) : nullptr;
  return [settings, backend, pool]() -> std::unique_ptr<engine::OcrEngine> {
    if (pool) pool->build_one();
    return std::make_unique<VlmEngine>(settings, backend, pool);
  };
}

}  // namespace edgeocr::vlm
