#include "engine/response.h"

#include "ocr/json.h"

namespace edgeocr::engine {
namespace {

using json = nlohmann::json;

json timings_json(const OcrResponse& r) {
  json timings = ocr::timings_json(*r.timings);
  if (r.queue_wait_ms) timings["queue_wait"] = *r.queue_wait_ms;
  return timings;
}

json vlm_json(const VlmCall& call) {
  json j = {{"model", call.model},
            {"task", call.task},
            {"prompt_language", call.prompt_language},
            {"sent_width", call.sent_width},
            {"sent_height", call.sent_height},
            {"attempts", call.attempts},
            {"seconds", call.seconds},
            {"finish_reason", call.finish_reason}};
  if (call.usage)
    j["usage"] = {{"prompt_tokens", call.usage->prompt_tokens}, {"completion_tokens", call.usage->completion_tokens}};
  return j;
}

json figures_json(const std::vector<Figure>& figures) {
  json out = json::array();
  for (const auto& f : figures) out.push_back({{"caption", f.caption}, {"box", f.box ? ocr::box_json(*f.box) : json(nullptr)}});
  return out;
}

json route_json(const Route& route) {
  json j = {{"vlm", route.vlm}, {"reason", route.reason}};
  if (route.native_mean_confidence) j["native_mean_confidence"] = *route.native_mean_confidence;
  return j;
}

template <typename T>
void put(json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

}  // namespace

json to_json(const OcrResponse& r, JsonForm form) {
  json out = {{"text", r.text}};
  if (r.pages) {
    out["pages"] = json::array();
    for (const auto& page : *r.pages) out["pages"].push_back(to_json(page, JsonForm::archived));
    out["page_count"] = r.pages->size();
  } else {
    out["lines"] = ocr::lines_json(r.lines);
    out["width"] = r.width;
    out["height"] = r.height;
  }
  if (r.page > 0) out["page"] = r.page;
  put(out, "page_rotation", r.page_rotation);
  if (r.timings) out["timings_ms"] = timings_json(r);
  put(out, "markdown", r.markdown);
  if (r.fields) out["fields"] = json(*r.fields);
  if (r.extraction) out["extraction"] = extract::to_json(*r.extraction);

  if (!r.backend.empty()) out["backend"] = r.backend;
  put(out, "raw", r.raw);
  put(out, "parse_error", r.parse_error);
  put(out, "repetition_trimmed", r.repetition_trimmed);
  if (r.truncated) out["truncated"] = true;
  put(out, "translation", r.translation);
  put(out, "answer", r.answer);
  put(out, "html", r.html);
  put(out, "latex", r.latex);
  if (r.figures) out["figures"] = figures_json(*r.figures);
  if (r.vlm) out["vlm"] = vlm_json(*r.vlm);
  put(out, "ocr_text", r.ocr_text);
  put(out, "vlm_raw", r.vlm_raw);
  if (r.vlm_error) {
    out["vlm_unavailable"] = true;
    out["vlm_error"] = *r.vlm_error;
  }
  if (r.route) out["route"] = route_json(*r.route);

  if (!r.request_id.empty()) out["request_id"] = r.request_id;
  if (form == JsonForm::reply) out["record_id"] = r.record_id ? json(*r.record_id) : json(nullptr);
  return out;
}

OcrResponse to_response(ocr::OcrResult result) {
  OcrResponse out;
  out.text = std::move(result.text);
  out.lines = std::move(result.lines);
  out.width = result.width;
  out.height = result.height;
  out.page_rotation = result.page_rotation;
  out.timings = result.timings;
  return out;
}

}  // namespace edgeocr::engine
