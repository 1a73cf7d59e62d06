// What an OCR backend answers, typed: the reading (text, lines, size, rotation, stage timings),
// parse/extraction output, the pages of a document, and what the VLM backends add (the answer's
// task parts, how the VLM was asked, the hybrid route). to_json is its one JSON form, written at
// the HTTP edge and into the archive; the keys are those of README's API section.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "extract/extract.h"
#include "ocr/types.h"

namespace edgeocr::engine {

// How the VLM was asked and what it cost ("vlm").
struct VlmCall {
  struct Usage {
    int64_t prompt_tokens = 0, completion_tokens = 0;
  };
  std::string model;
  std::string task;             // the prompt's task (spot, parse, extract, ...)
  std::string prompt_language;  // zh | en
  int sent_width = 0, sent_height = 0;  // the image as the model saw it
  int attempts = 0;
  double seconds = 0;
  std::string finish_reason;
  std::optional<Usage> usage;  // when the server reported it
};

// A figure of a parsed page ("figures"): its caption and, when the model gave one, its box.
struct Figure {
  std::string caption;
  std::optional<ocr::Quad> box;
};

// The hybrid backend's choice ("route").
struct Route {
  bool vlm = false;
  std::string reason;  // native | translation | unsupported_instruction | task_not_native | low_confidence
  std::optional<double> native_mean_confidence;
};

struct OcrResponse {
  // The reading. Native images also have page_rotation and timings; VLM answers neither.
  std::string text;
  std::vector<ocr::TextLine> lines;  // in reading order
  int width = 0, height = 0;
  std::optional<int> page_rotation;
  std::optional<ocr::StageTimings> timings;  // per stage, ms
  std::optional<double> queue_wait_ms;       // set by the server (shown with the timings)

  std::optional<std::string> markdown;  // task parse
  // Extraction: the flat name -> value map ("fields"; null = not found) and, from the native
  // extractor, the details (types, normalised values, boxes, items, checks) as "extraction".
  std::optional<std::map<std::string, nlohmann::json>> fields;
  std::optional<extract::ExtractionResult> extraction;

  // A document (PDF, multi-page TIFF, HEIC): its pages, each a response with its number; the
  // document's text joins theirs by form feeds, its timings sum theirs, its fields are page 1's.
  std::optional<std::vector<OcrResponse>> pages;
  int page = 0;  // > 0: this is that page of a document

  // The VLM backends.
  std::string backend;  // "native" | "vlm" | "hybrid"; "" = a backend that does not say
  std::optional<std::string> raw;          // the VLM's answer as received
  std::optional<bool> parse_error;         // the answer did not have the task's form (kept raw)
  std::optional<bool> repetition_trimmed;  // a repeated tail was cut from the answer
  bool truncated = false;                  // the answer hit max_tokens
  std::optional<std::string> translation, answer, html, latex;
  std::optional<std::vector<Figure>> figures;
  std::optional<VlmCall> vlm;
  std::optional<std::string> ocr_text;  // the native reading's text where the VLM's answer became "text"
  std::optional<std::string> vlm_raw;   // the VLM's unusable answer where the native reading was kept
  std::optional<std::string> vlm_error; // the VLM failed: the native reading answers ("vlm_unavailable")
  std::optional<Route> route;

  // Set by the server.
  std::string request_id;
  std::optional<std::string> record_id;  // the archived record (none: not stored)
};

// Whether the JSON names the archived record: the reply does ("record_id", null when not stored);
// the record's own copy of the result does not.
enum class JsonForm { reply, archived };

nlohmann::json to_json(const OcrResponse& response, JsonForm form = JsonForm::archived);

// The native pipeline's reading of one image as a response (its JSON is ocr::to_json's).
OcrResponse to_response(ocr::OcrResult result);

}  // namespace edgeocr::engine
