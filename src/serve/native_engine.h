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
  // Images give one result; documents (PDF, multi-page TIFF, HEIC/HEIF) give {text (pages joined
  // by form feeds), pages:[result + page], page_count, timings_ms, fields (of the first page)}.
  nlohmann::json recognize(const OcrRequest& request) override;

  static constexpr int kMaxPagesPerRequest = 50;  // more pages: 413, send them in parts

 private:
  nlohmann::json page_json(const ocr::OcrResult& result, const OcrRequest& request);

  ocr::Pipeline pipeline_;
  ExtractionHook extract_;
};

}  // namespace edgeocr::serve
