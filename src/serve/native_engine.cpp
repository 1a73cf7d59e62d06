#include "serve/native_engine.h"

#include <malloc.h>
#include <optional>

#include "ocr/pages.h"
#include "ocr/render.h"

namespace edgeocr::serve {

using engine::ApiError;
using engine::OcrRequest;
using engine::OcrResponse;

NativeEngine::NativeEngine(const ocr::PipelineOptions& options, ExtractionHook extract,
                           std::shared_ptr<ocr::ModelLibrary> models)
    : options_(options), models_(models ? std::move(models) : std::make_shared<ocr::ModelLibrary>()),
      extract_(std::move(extract)) {
  pipelines_.emplace(options.models, ocr::Pipeline(options, *models_));
}

ocr::Pipeline& NativeEngine::pipeline_for(const std::string& models) {
  const std::string& name = models.empty() ? options_.models : models;
  auto it = pipelines_.find(name);
  if (it != pipelines_.end()) return it->second;
  ocr::PipelineOptions options = options_;
  options.models = name;
  try {
    return pipelines_.emplace(name, ocr::Pipeline(options, *models_)).first->second;
  } catch (const ocr::ModelSetError& e) {
    throw ApiError(400, "bad_parameter", e.what());  // e.g. a set whose files were not fetched
  }
}

namespace {

// Size limits the server's header probe could not check (decoded size, a document's pages and
// page count) are 413; anything else wrong with the input is 400.
ApiError image_error(const ocr::ImageError& e) {
  if (e.kind() == ocr::ImageError::Kind::too_large) return ApiError(413, "image_too_large", e.what());
  return ApiError(400, "bad_image", e.what());
}

}  // namespace

OcrResponse NativeEngine::page_response(ocr::OcrResult result, const OcrRequest& request) {
  std::optional<std::string> markdown;
  if (request.task == "parse") markdown = ocr::to_markdown(result);
  std::optional<extract::ExtractionResult> extraction;
  if (request.wants_extraction()) extraction = extract_(result, request);
  OcrResponse out = engine::to_response(std::move(result));
  out.markdown = std::move(markdown);
  if (extraction) {
    // "fields" is the flat name -> value map clients want ({"total_amount": "¥36.8"}).
    out.fields = extract::to_json(*extraction).at("fields").get<std::map<std::string, nlohmann::json>>();
    out.extraction = std::move(extraction);
  }
  return out;
}

OcrResponse NativeEngine::recognize(const OcrRequest& request) {
  // What a job freed (its image, activations, results) goes back to the OS when it ends, so a
  // long-running server's RSS follows what it holds, not the largest job's high-water mark.
  struct TrimAfterJob {
    ~TrimAfterJob() { malloc_trim(0); }
  } trim_after;
  if (request.wants_extraction() && !extract_)
    throw ApiError(501, "not_implemented",
                   "structured extraction (instruction / fields / schema) is not available in this build yet");
  const auto bytes = request.image();
  ocr::Pipeline& pipeline = pipeline_for(request.models);
  std::optional<ocr::LanguageSpec> languages;
  if (!request.lang.empty()) {
    try {
      languages = ocr::parse_languages(request.lang);
      pipeline.prepare_languages(*languages);
    } catch (const ocr::LanguageError& e) {  // e.g. a pack that is not installed
      throw ApiError(400, "bad_parameter", std::string("lang: ") + e.what());
    }
  }
  const auto run = [&](const auto& image) { return languages ? pipeline.run(image, *languages) : pipeline.run(image); };
  try {
    const std::string format = ocr::document_format(bytes);
    const bool document = format == "PDF" || format == "HEIF" || (format == "TIFF" && ocr::count_pages(bytes) > 1);
    if (!document) return page_response(run(bytes), request);
    // A document: every page (up to the cap, each within the pixel limit), one response.
    ocr::PageOptions pages;
    pages.limits = pipeline.options().limits;
    pages.max_pages = kMaxPagesPerRequest;
    OcrResponse out;
    out.pages.emplace();
    ocr::StageTimings total;
    ocr::for_each_page(bytes, pages, [&](ocr::Page&& page) {
      OcrResponse p = page_response(run(page.bgr), request);
      p.page = page.number;
      if (!out.fields && p.fields) out.fields = p.fields;
      out.text += (out.text.empty() ? "" : "\f") + p.text;
      const ocr::StageTimings& t = *p.timings;
      total.decode += t.decode, total.det += t.det, total.cls += t.cls;
      total.rec += t.rec, total.post += t.post, total.total += t.total;
      out.pages->push_back(std::move(p));
    });
    out.timings = total;
    return out;
  } catch (const ocr::ImageError& e) {
    throw image_error(e);
  }
}

}  // namespace edgeocr::serve
