#include "serve/native_engine.h"

#include "ocr/json.h"
#include "ocr/render.h"

namespace edgeocr::serve {

NativeEngine::NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract)
    : pipeline_(options), extract_(std::move(extract)) {}

nlohmann::json NativeEngine::recognize(const OcrRequest& request) {
  if (request.wants_extraction() && !extract_)
    throw ApiError(501, "not_implemented",
                   "structured extraction (instruction / fields / schema) is not available in this build yet");
  ocr::OcrResult result;
  try {
    result = pipeline_.run(request.image());
  } catch (const ocr::ImageError& e) {
    const std::string message = e.what();
    // Size limits the header probe could not check (TIFF/WebP dimensions, decoded size) are 413.
    if (message.rfind("image too large", 0) == 0 || message.rfind("file too large", 0) == 0)
      throw ApiError(413, "image_too_large", message);
    throw ApiError(400, "bad_image", message);
  }
  nlohmann::json out = ocr::to_json(result);
  if (request.task == "parse") out["markdown"] = ocr::to_markdown(result);
  if (request.wants_extraction()) {
    // "fields" is the flat name -> value map clients want ({"total_amount": "¥36.8"});
    // "extraction" keeps the details (types, normalised values, boxes, items, checks).
    nlohmann::json extraction = extract_(result, request);
    out["fields"] = extraction.value("fields", nlohmann::json::object());
    out["extraction"] = std::move(extraction);
  }
  return out;
}

}  // namespace edgeocr::serve
