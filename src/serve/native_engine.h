// OcrEngine over the native pipeline (src/ocr). Each worker thread owns one NativeEngine; the
// loaded models can be shared between them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ocr/pipeline.h"
#include "serve/engine.h"

namespace edgeocr::serve {

// Structured extraction for instruction / fields / schema requests: returns the "fields" JSON.
// Throws ApiError for requests it cannot answer. Set by the extraction area.
using ExtractionHook = std::function<nlohmann::json(const ocr::OcrResult&, const OcrRequest&)>;

class NativeEngine : public OcrEngine {
 public:
  // Loads the configured model set now (into `models`, which the workers share; a library of
  // its own when null); other sets a request names are loaded on first use and kept.
  NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract = {},
               std::shared_ptr<ocr::ModelLibrary> models = nullptr);
  // Images give one result; documents (PDF, multi-page TIFF, HEIC/HEIF) give {text (pages joined
  // by form feeds), pages:[result + page], page_count, timings_ms, fields (of the first page)}.
  nlohmann::json recognize(const OcrRequest& request) override;

  static constexpr int kMaxPagesPerRequest = 50;  // more pages: 413, send them in parts

 private:
  ocr::Pipeline& pipeline_for(const std::string& models);
  nlohmann::json page_json(const ocr::OcrResult& result, const OcrRequest& request);

  ocr::PipelineOptions options_;
  std::shared_ptr<ocr::ModelLibrary> models_;
  std::map<std::string, ocr::Pipeline> pipelines_;  // by model set
  ExtractionHook extract_;
};

}  // namespace edgeocr::serve
