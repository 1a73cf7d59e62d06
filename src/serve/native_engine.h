// OcrEngine over the native pipeline (src/ocr). Each worker thread owns one NativeEngine.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "ocr/pipeline.h"
#include "serve/engine.h"

namespace edgeocr::serve {

// Structured extraction for instruction / fields / schema requests: returns the "fields" JSON.
// Throws ApiError for requests it cannot answer. Set by the extraction area (issue 4).
using ExtractionHook = std::function<nlohmann::json(const ocr::OcrResult&, const OcrRequest&)>;

class NativeEngine : public OcrEngine {
 public:
  // Loads the configured model set now; other sets a request names are loaded on first use
  // and kept.
  NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract = {});
  nlohmann::json recognize(const OcrRequest& request) override;

 private:
  ocr::Pipeline& pipeline_for(const std::string& models);

  ocr::PipelineOptions options_;
  std::map<std::string, ocr::Pipeline> pipelines_;  // by model set
  ExtractionHook extract_;
};

// Reading-order markdown: rows as lines, paragraphs split at large vertical gaps, rows of
// clearly larger type as headings.
std::string result_to_markdown(const ocr::OcrResult& result);

}  // namespace edgeocr::serve
