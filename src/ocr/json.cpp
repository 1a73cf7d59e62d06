#include "ocr/json.h"

#include <cmath>

namespace edgeocr::ocr {
namespace {
double round_to(double v, double step) { return std::round(v / step) * step; }
}  // namespace

nlohmann::json box_json(const Quad& q) {
  nlohmann::json box = nlohmann::json::array();
  for (const auto& p : q) box.push_back({round_to(p.x, 0.1), round_to(p.y, 0.1)});
  return box;
}

nlohmann::json lines_json(const std::vector<TextLine>& text_lines) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : text_lines) {
    nlohmann::json words = nlohmann::json::array();
    for (const auto& w : l.words)
      words.push_back({{"text", w.text}, {"confidence", round_to(w.confidence, 1e-4)}, {"box", box_json(w.box)}});
    nlohmann::json line = {{"text", l.text},
                           {"confidence", round_to(l.confidence, 1e-4)},
                           {"box", box_json(l.box)},
                           {"row", l.row},
                           {"order", l.order},
                           {"words", std::move(words)}};
    if (!l.script.empty()) line["script"] = l.script;
    if (!l.language.empty()) line["language"] = l.language;
    lines.push_back(std::move(line));
  }
  return lines;
}

nlohmann::json timings_json(const StageTimings& t) {
  return {{"decode", round_to(t.decode, 0.01)}, {"det", round_to(t.det, 0.01)},   {"cls", round_to(t.cls, 0.01)},
          {"rec", round_to(t.rec, 0.01)},       {"post", round_to(t.post, 0.01)}, {"total", round_to(t.total, 0.01)}};
}

nlohmann::json to_json(const OcrResult& r) {
  return {{"text", r.text},
          {"lines", lines_json(r.lines)},
          {"width", r.width},
          {"height", r.height},
          {"page_rotation", r.page_rotation},
          {"timings_ms", timings_json(r.timings)}};
}

}  // namespace edgeocr::ocr
