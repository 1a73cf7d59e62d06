// The VLM backend and the routing between it and the native pipeline.
//
//   VlmSettings settings = vlm_settings_from(resolved settings);
//   Router router(settings);
//   engine::OcrResponse result = router.run(image, make_request(task, instruction, fields), [&] {
//     NativeRun n; n.result = <native OCR (+ extraction) response>;
//     n.unsupported_instruction = <extract threw UnsupportedInstruction>;  return n; });
//
// native: the runner's result. openai/vllm: the VLM's answer (the native fallback with
// vlm_error set when a runner is given and the VLM fails). hybrid: native first, the VLM only
// for translation, instructions the native extractor cannot answer, tasks it has no model for
// (vqa/table/formula) and (configurable) low mean line confidence; when the VLM fails the native
// result comes back with vlm_error set.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/response.h"
#include "vlm/client.h"
#include "vlm/image_prep.h"
#include "vlm/options.h"
#include "vlm/prompts.h"

namespace edgeocr::vlm {

struct VlmRequest {
  Task task = Task::spot;
  std::string instruction;          // free-form: "translate this menu", "提取总金额", a question
  std::vector<std::string> fields;  // explicit field names for extraction
  std::string schema;               // "receipt" -> the receipt field list
  std::string target_language;      // translate: "en" | "zh"; "" = from the instruction (default en)
  // Every VLM attempt, wait and backoff ends by then (the caller keeps time to answer after it).
  std::optional<Clock::time_point> deadline;
};

// Builds a request from API parameters; task "" = spot. Throws std::invalid_argument for an
// unknown task name.
VlmRequest make_request(std::string_view task, std::string instruction = {}, std::vector<std::string> fields = {},
                        std::string schema = {});

// The documented prompt the request maps to. A free-form instruction becomes translation when it
// asks for one, extraction when fields are given, otherwise a question (VQA) asked verbatim.
// Throws std::invalid_argument when the request has nothing to ask (extract without fields).
PromptRequest to_prompt_request(const VlmRequest& request, Language fallback);

// Receipt schema fields asked of the VLM (names match the native extractor's receipt fields).
const std::vector<std::string>& receipt_fields();

class VlmBackend {
 public:
  explicit VlmBackend(const VlmSettings& settings, VlmMetrics* metrics = &global_metrics());

  // Throws VlmError (server problems) or std::invalid_argument (bad request/image).
  engine::OcrResponse run(const cv::Mat& image, const VlmRequest& request);
  engine::OcrResponse run_encoded(std::span<const uint8_t> encoded_image, const VlmRequest& request);

  OpenAiClient& client() { return client_; }
  const VlmSettings& settings() const { return settings_; }

 private:
  engine::OcrResponse run_prepared(const PreparedImage& image, const VlmRequest& request);

  VlmSettings settings_;
  VlmMetrics* metrics_;
  OpenAiClient client_;
};

// What the native side produced for a request.
struct NativeRun {
  engine::OcrResponse result;            // native reading (+ extraction)
  bool unsupported_instruction = false;  // extract::UnsupportedInstruction was thrown
};
using NativeRunner = std::function<NativeRun()>;

struct RouteDecision {
  bool use_vlm = false;
  std::string reason;  // native | translation | unsupported_instruction | task_not_native | low_confidence
  VlmRequest vlm_request;
};

// Mean of lines[].confidence; nullopt when there are no lines.
std::optional<double> mean_line_confidence(const engine::OcrResponse& native_result);

// Hybrid policy, pure: decides from the request and the native result whether to call the VLM.
RouteDecision decide_route(const VlmRequest& request, const NativeRun& native, const VlmSettings& settings);

class Router {
 public:
  explicit Router(const VlmSettings& settings, VlmMetrics* metrics = &global_metrics());
  // Shares one backend (one in-flight cap, one circuit breaker) between routers, e.g. server workers.
  Router(const VlmSettings& settings, std::shared_ptr<VlmBackend> backend, VlmMetrics* metrics = &global_metrics());

  BackendKind kind() const { return settings_.backend; }
  VlmBackend* vlm() { return vlm_.get(); }  // nullptr for the native backend

  // `native` may be empty for the openai backend (then a VLM failure throws VlmError).
  engine::OcrResponse run(const cv::Mat& image, const VlmRequest& request, const NativeRunner& native);

 private:
  engine::OcrResponse run_hybrid(const cv::Mat& image, const VlmRequest& request, const NativeRunner& native);

  VlmSettings settings_;
  VlmMetrics* metrics_;
  std::shared_ptr<VlmBackend> vlm_;
};

}  // namespace edgeocr::vlm
