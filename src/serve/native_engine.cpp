#include "serve/native_engine.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ocr/json.h"

namespace edgeocr::serve {
namespace {

float line_height(const ocr::TextLine& l) {
  const float left = std::hypot(l.box[3].x - l.box[0].x, l.box[3].y - l.box[0].y);
  const float right = std::hypot(l.box[2].x - l.box[1].x, l.box[2].y - l.box[1].y);
  return (left + right) / 2;
}

}  // namespace

NativeEngine::NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract)
    : options_(options), extract_(std::move(extract)) {
  pipelines_.emplace(options.models, ocr::Pipeline(options));
}

ocr::Pipeline& NativeEngine::pipeline_for(const std::string& models) {
  const std::string& name = models.empty() ? options_.models : models;
  auto it = pipelines_.find(name);
  if (it != pipelines_.end()) return it->second;
  ocr::PipelineOptions options = options_;
  options.models = name;
  try {
    return pipelines_.emplace(name, ocr::Pipeline(options)).first->second;
  } catch (const ocr::ModelSetError& e) {
    throw ApiError(400, "bad_parameter", e.what());  // e.g. a set whose files were not fetched
  }
}

nlohmann::json NativeEngine::recognize(const OcrRequest& request) {
  if (request.wants_extraction() && !extract_)
    throw ApiError(501, "not_implemented",
                   "structured extraction (instruction / fields / schema) is not available in this build yet");
  ocr::OcrResult result;
  try {
    result = pipeline_for(request.models).run(request.image());
  } catch (const ocr::ImageError& e) {
    const std::string message = e.what();
    // Size limits the header probe could not check (TIFF/WebP dimensions, decoded size) are 413.
    if (message.rfind("image too large", 0) == 0 || message.rfind("file too large", 0) == 0)
      throw ApiError(413, "image_too_large", message);
    throw ApiError(400, "bad_image", message);
  }
  nlohmann::json out = ocr::to_json(result);
  if (request.task == "parse") out["markdown"] = result_to_markdown(result);
  if (request.wants_extraction()) {
    // "fields" is the flat name -> value map clients want ({"total_amount": "¥36.8"});
    // "extraction" keeps the details (types, normalised values, boxes, items, checks).
    nlohmann::json extraction = extract_(result, request);
    out["fields"] = extraction.value("fields", nlohmann::json::object());
    out["extraction"] = std::move(extraction);
  }
  return out;
}

std::string result_to_markdown(const ocr::OcrResult& r) {
  if (r.lines.empty()) return "";
  struct Row {
    std::string text;
    float top = 1e9f, bottom = -1e9f, height = 0;
  };
  std::map<int, Row> rows;
  for (const auto& l : r.lines) {  // lines are in reading order already
    Row& row = rows[l.row];
    if (!row.text.empty()) row.text += ' ';
    row.text += l.text;
    for (const auto& p : l.box) {
      row.top = std::min(row.top, p.y);
      row.bottom = std::max(row.bottom, p.y);
    }
    row.height = std::max(row.height, line_height(l));
  }
  std::vector<float> heights;
  for (const auto& [i, row] : rows) heights.push_back(row.height);
  std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
  const float median = std::max(1.0f, heights[heights.size() / 2]);
  std::string md;
  const Row* previous = nullptr;
  for (const auto& [i, row] : rows) {
    if (previous && row.top - previous->bottom > 1.2f * median) md += '\n';  // paragraph break
    if (row.height > 1.6f * median && rows.size() > 2) md += "## ";
    md += row.text + "\n";
    previous = &row;
  }
  return md;
}

}  // namespace edgeocr::serve
