// OcrEngine over the native pipeline (src/ocr). Each worker thread owns one NativeEngine; the
// loaded models can be shared between them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ocr/pipeline.h"
#include "engine/engine.h"
#include "extract/extract.h"

namespace edgeocr::serve {

// Structured extraction for instruction / fields / schema requests. Throws engine::ApiError
// for requests it cannot answer.
using ExtractionHook = std::function<extract::ExtractionResult(const ocr::OcrResult&, const engine::OcrRequest&)>;

class NativeEngine : public engine::OcrEngine {
 public:
  // Loads the configured model set now (into `models`, which the workers share; a library of
  // its own when null); other sets a request names are loaded on first use and kept.
  NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract = {},
               std::shared_ptr<ocr::ModelLibrary> models = nullptr);
  // Images give one reading; documents (PDF, multi-page TIFF, HEIC/HEIF) one per page (up to
  // kMaxPagesPerRequest) under `pages`.
  engine::OcrResponse recognize(const engine::OcrRequest& request) override;

  static constexpr int kMaxPagesPerRequest = 50;  // more pages: 413, send them in parts

 private:
  ocr::Pipeline& pipeline_for(const std::string& models);
  engine::OcrResponse page_response(ocr::OcrResult result, const engine::OcrRequest& request);

  ocr::PipelineOptions options_;
  std::shared_ptr<ocr::ModelLibrary> models_;
  std::map<std::string, ocr::Pipeline> pipelines_;  // by model set
  ExtractionHook extract_;
};

}  // namespace edgeocr::serve
