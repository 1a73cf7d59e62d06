// OcrEngine over the native pipeline (src/ocr). Each worker thread owns one NativeEngine.
#pragma once

#include <functional>

#include "ocr/pipeline.h"
#include "serve/engine.h"

namespace edgeocr::serve {

// Structured extraction for instruction / fields / schema requests: returns the "fields" JSON.
// Throws ApiError for requests it cannot answer. Set by the extraction area (issue 4).
using ExtractionHook = std::function<nlohmann::json(const ocr::OcrResult&, const OcrRequest&)>;

class NativeEngine : public OcrEngine {
 public:
  NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract = {});
  nlohmann::json recognize(const OcrRequest& request) override;

 private:
  ocr::Pipeline pipeline_;
  ExtractionHook extract_;
};

}  // namespace edgeocr::serve
