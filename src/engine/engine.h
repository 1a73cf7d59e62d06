// What the HTTP server asks of an OCR backend. The native pipeline (serve), the VLM backends
// (vlm) and the tests' fake engines implement OcrEngine; each worker thread owns one engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/response.h"

namespace edgeocr::engine {

struct OcrRequest {
  // Encoded image bytes, shared so that a job outliving its timed-out client stays valid.
  std::shared_ptr<const std::string> image_data;
  std::string task = "spot";          // "spot" (lines + boxes) or "parse" (reading-order markdown)
  std::string instruction;            // free-text extraction instruction ("提取总金额")
  std::vector<std::string> fields;    // explicit field list
  std::string schema;                 // named schema, e.g. "receipt"
  std::string models;                 // model set for this request ("" = the server's)
  std::string lang;                   // languages as `ocr -l` ("ara+eng", "auto"; "" = the server's)
  // When the client stops waiting (request timeout from arrival); engines that wait on others
  // (the VLM) finish by then. Unset: no limit.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::span<const uint8_t> image() const {
    if (!image_data) return {};
    return {reinterpret_cast<const uint8_t*>(image_data->data()), image_data->size()};
  }
  bool wants_extraction() const { return !instruction.empty() || !fields.empty() || !schema.empty(); }
};

// An error with an HTTP status and a stable code, e.g. {415, "unsupported_media_type", "..."}.
// Engines and extractors throw it for anything the client should see as-is.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message, int retry_after_s = 0)
      : std::runtime_error(message), status_(status), code_(std::move(code)), retry_after_s_(retry_after_s) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  int retry_after_s() const { return retry_after_s_; }  // > 0: sent as Retry-After

 private:
  int status_;
  std::string code_;
  int retry_after_s_ = 0;
};

class OcrEngine {
 public:
  virtual ~OcrEngine() = default;
  // The reading of the request's image (or document). Throws ApiError (bad image -> 400).
  virtual OcrResponse recognize(const OcrRequest& request) = 0;
};

// Called once per worker thread, on that thread, to build its engine.
using EngineFactory = std::function<std::unique_ptr<OcrEngine>()>;

}  // namespace edgeocr::engine
