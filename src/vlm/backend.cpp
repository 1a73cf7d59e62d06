#include "vlm/backend.h"

#include <stdexcept>

#include "vlm/answer_parser.h"

namespace edgeocr::vlm {
namespace {

bool is_ocr_task(Task t) { return t == Task::spot || t == Task::text || t == Task::parse; }

// Native result + the VLM's answer to what native could not do: "text" becomes the answer,
// the native OCR text stays as ocr_text, the lines stay native.
engine::OcrResponse merge_answer(engine::OcrResponse native, engine::OcrResponse vlm) {
  native.ocr_text = std::move(native.text);
  native.text = std::move(vlm.text);
  native.translation = std::move(vlm.translation);
  native.answer = std::move(vlm.answer);
  if (vlm.markdown) native.markdown = std::move(vlm.markdown);
  native.figures = std::move(vlm.figures);
  native.html = std::move(vlm.html);
  native.latex = std::move(vlm.latex);
  native.parse_error = vlm.parse_error;
  native.raw = std::move(vlm.raw);
  native.vlm = std::move(vlm.vlm);
  native.truncated = vlm.truncated;
  native.repetition_trimmed = vlm.repetition_trimmed;
  if (vlm.fields) {
    // VLM fields fill in what native extraction did not find (or was not asked).
    auto fields = native.fields.value_or(std::map<std::string, nlohmann::json>{});
    for (auto& [k, v] : *vlm.fields) {
      auto it = fields.find(k);
      if (it == fields.end() || it->second.is_null()) fields[k] = std::move(v);
    }
    native.fields = std::move(fields);
  }
  return native;
}

engine::OcrResponse mark_unavailable(engine::OcrResponse native, const std::exception& error) {
  native.vlm_error = error.what();
  return native;
}

}  // namespace

VlmRequest make_request(std::string_view task, std::string instruction, std::vector<std::string> fields,
                        std::string schema) {
  VlmRequest r;
  if (!task.empty()) {
    const auto t = parse_task(task);
    if (!t) {
      throw std::invalid_argument("unknown task '" + std::string(task) +
                                  "' (expected spot, text, parse, table, formula, extract, translate or vqa)");
    }
    r.task = *t;
  }
  r.instruction = std::move(instruction);
  r.fields = std::move(fields);
  r.schema = std::move(schema);
  return r;
}

const std::vector<std::string>& receipt_fields() {
  static const std::vector<std::string> fields{"company", "address", "date", "time", "subtotal", "tax", "total",
                                               "payment_method"};
  return fields;
}

PromptRequest to_prompt_request(const VlmRequest& r, Language fallback) {
  PromptRequest p;
  p.task = r.task;
  p.fields = r.fields;
  if (r.schema == "receipt") p.fields.insert(p.fields.begin(), receipt_fields().begin(), receipt_fields().end());
  else if (!r.schema.empty()) throw std::invalid_argument("unknown schema '" + r.schema + "' (expected receipt)");
  p.language = request_language(r.instruction, r.fields, fallback);

  if (!r.instruction.empty() && (p.task == Task::spot || p.task == Task::text || p.task == Task::extract)) {
    if (is_translation_instruction(r.instruction)) p.task = Task::translate;
    else if (p.fields.empty()) p.task = Task::vqa;
    else p.task = Task::extract;
  } else if (!p.fields.empty() && p.task == Task::spot) {
    p.task = Task::extract;
  }
  if (p.task == Task::translate) {
    p.target_language = !r.target_language.empty() ? r.target_language : translation_target(r.instruction);
  }
  if (p.task == Task::vqa) {
    p.question = r.instruction;
    if (p.question.empty()) throw std::invalid_argument("task vqa needs an instruction (the question)");
  }
  if (p.task == Task::extract && p.fields.empty()) {
    throw std::invalid_argument("task extract needs fields, a schema or an instruction");
  }
  return p;
}

VlmBackend::VlmBackend(const VlmSettings& settings, VlmMetrics* metrics)
    : settings_(settings), metrics_(metrics ? metrics : &global_metrics()),
      client_(resolved_client_options(settings), metrics_) {}

engine::OcrResponse VlmBackend::run(const cv::Mat& image, const VlmRequest& request) {
  return run_prepared(prepare_image(image), request);
}

engine::OcrResponse VlmBackend::run_encoded(std::span<const uint8_t> encoded_image, const VlmRequest& request) {
  return run_prepared(prepare_encoded_image(encoded_image), request);
}

engine::OcrResponse VlmBackend::run_prepared(const PreparedImage& image, const VlmRequest& request) {
  const Language fallback = settings_.prompt_language == "en" ? Language::en : Language::zh;
  const PromptRequest prompt_request = to_prompt_request(request, fallback);
  const std::string prompt = build_prompt(prompt_request);
  const std::string task(to_string(prompt_request.task));
  const auto start = Clock::now();
  ChatResult chat;
  try {
    chat = client_.complete(image.data_url, prompt, request.deadline);
  } catch (const VlmError& e) {
    metrics_->record_request(task, to_string(e.kind()), std::chrono::duration<double>(Clock::now() - start).count());
    throw;
  }
  const ImageGeometry geometry{image.original_width, image.original_height, image.sent_width, image.sent_height};
  engine::OcrResponse out = parse_answer(prompt_request, chat.content, geometry);
  out.backend = "vlm";
  engine::VlmCall call;
  call.model = settings_.client.model;
  call.task = task;
  call.prompt_language = std::string(to_string(prompt_request.language));
  call.sent_width = image.sent_width;
  call.sent_height = image.sent_height;
  call.attempts = chat.attempts;
  call.seconds = chat.seconds;
  call.finish_reason = chat.finish_reason;
  if (chat.has_usage) call.usage = engine::VlmCall::Usage{chat.prompt_tokens, chat.completion_tokens};
  out.vlm = std::move(call);
  out.truncated = chat.finish_reason == "length";
  metrics_->record_request(task, out.parse_error.value_or(false) ? "parse_error" : "ok", chat.seconds);
  return out;
}

std::optional<double> mean_line_confidence(const engine::OcrResponse& result) {
  if (result.lines.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& line : result.lines) sum += line.confidence;
  return sum / static_cast<double>(result.lines.size());
}

RouteDecision decide_route(const VlmRequest& request, const NativeRun& native, const VlmSettings& settings) {
  RouteDecision d;
  d.vlm_request = request;
  if (request.task == Task::translate || is_translation_instruction(request.instruction)) {
    d.use_vlm = true;
    d.reason = "translation";
    d.vlm_request.task = Task::translate;
    return d;
  }
  if (native.unsupported_instruction) {
    d.use_vlm = true;
    d.reason = "unsupported_instruction";
    // A question asked verbatim; explicit fields/schema are asked as extraction.
    d.vlm_request.task = request.fields.empty() && request.schema.empty() ? Task::vqa : Task::extract;
    return d;
  }
  if (request.task == Task::vqa || request.task == Task::table || request.task == Task::formula) {
    d.use_vlm = true;
    d.reason = "task_not_native";
    return d;
  }
  if (settings.route_low_confidence && is_ocr_task(request.task) && request.instruction.empty() &&
      request.fields.empty()) {
    const auto mean = mean_line_confidence(native.result);
    // No lines at all counts as low confidence: native may have missed a hard page entirely.
    if (!mean || *mean < settings.min_confidence) {
      d.use_vlm = true;
      d.reason = "low_confidence";
      return d;
    }
  }
  d.reason = "native";
  return d;
}

Router::Router(const VlmSettings& settings, VlmMetrics* metrics)
    : settings_(settings), metrics_(metrics ? metrics : &global_metrics()) {
  if (settings_.backend != BackendKind::native) vlm_ = std::make_shared<VlmBackend>(settings_, metrics_);
}

Router::Router(const VlmSettings& settings, std::shared_ptr<VlmBackend> backend, VlmMetrics* metrics)
    : settings_(settings), metrics_(metrics ? metrics : &global_metrics()), vlm_(std::move(backend)) {
  if (settings_.backend != BackendKind::native && !vlm_) throw std::invalid_argument("Router: no VLM backend given");
}

engine::OcrResponse Router::run(const cv::Mat& image, const VlmRequest& request, const NativeRunner& native) {
  switch (settings_.backend) {
    case BackendKind::native: {
      if (!native) throw std::invalid_argument("the native backend needs a native runner");
      engine::OcrResponse out = native().result;
      out.backend = "native";
      return out;
    }
    case BackendKind::openai: {
      try {
        return vlm_->run(image, request);
      } catch (const VlmError& e) {
        if (!native) throw;
        engine::OcrResponse out = mark_unavailable(native().result, e);
        out.backend = "native";
        return out;
      }
    }
    case BackendKind::hybrid:
      return run_hybrid(image, request, native);
  }
  throw std::logic_error("unknown backend");
}

engine::OcrResponse Router::run_hybrid(const cv::Mat& image, const VlmRequest& request, const NativeRunner& native) {
  if (!native) throw std::invalid_argument("the hybrid backend needs a native runner");
  NativeRun n = native();
  const RouteDecision d = decide_route(request, n, settings_);
  metrics_->record_route(d.reason, d.use_vlm);
  const engine::Route route{d.use_vlm, d.reason, mean_line_confidence(n.result)};
  engine::OcrResponse out;
  if (!d.use_vlm) {
    out = std::move(n.result);
  } else {
    try {
      engine::OcrResponse answer = vlm_->run(image, d.vlm_request);
      if (d.reason == "low_confidence" && !answer.parse_error.value_or(false)) {
        out = std::move(answer);  // the VLM's reading replaces native's
      } else if (d.reason == "low_confidence") {
        out = std::move(n.result);  // keep native's lines and text; show what the VLM said
        out.parse_error = true;
        out.vlm_raw = answer.raw.value_or("");
      } else {
        out = merge_answer(std::move(n.result), std::move(answer));
      }
    } catch (const VlmError& e) {
      out = mark_unavailable(std::move(n.result), e);
    }
  }
  out.backend = "hybrid";
  out.route = route;
  return out;
}

}  // namespace edgeocr::vlm
