// OCR engines that `edgeocr eval` compares: the native pipeline, Tesseract (line level),
// "labels" (the labelled lines themselves: scores extraction alone, with perfect OCR) and saved
// predictions of another tool.
#pragma once

#include <filesystem>
#include <optional>
#include <memory>
#include <string>

#include "eval/dataset.h"
#include "ocr/model_set.h"
#include "ocr/types.h"

namespace edgeocr::eval {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  virtual ocr::OcrResult run(const Sample& sample) = 0;  // throws on unreadable images
};

struct EngineOptions {
  std::filesystem::path model_dir;  // empty: ocr::locate_model_dir searches
  std::string models;  // model set of "native" ("" = the default set); "native:SET" names its own
  std::string precision{ocr::kDefaultPrecision};  // native engine: int8 | fp32 (ocr/model_set.h)
  int threads = 2;
  std::string languages = "chi_sim+eng";  // native engine: -l/--lang of `edgeocr ocr` (ocr/languages.h)
  std::string tesseract_languages = "chi_sim+eng";
  // Every image is one text line (line-image datasets): no detection for the native engine, and
  // Tesseract reads it as a single line (PSM_SINGLE_LINE) instead of laying out a page.
  bool single_line = false;
  std::string tessdata_dir;  // "" = Tesseract's default
  // Native results are read from this folder where present and written to it where not
  // (eval/ocr_cache.h); "" = always run the OCR.
  std::filesystem::path ocr_cache;
  // Detector post-processing overrides of the native engine (unset: the model set's own values).
  std::optional<float> det_threshold, det_box_threshold, det_unclip_ratio, det_box_unclip_ratio;
  std::optional<int> det_max_side, det_fine_max_side;
  // The recognizer's word-gap factor (unset: the pipeline's default; 0: no restored spaces).
  std::optional<float> rec_word_gap;
};

// "native", "native:SET" (a model set, e.g. native:v5), "tesseract", "labels" or
// "predictions:DIR" (another tool's saved output, one `<id>.json` per image in EdgeOCR's JSON
// line format). Throws std::invalid_argument for other names and
// std::runtime_error when the engine cannot start (missing models or traineddata).
std::unique_ptr<Engine> make_engine(const std::string& name, const EngineOptions& options);

}  // namespace edgeocr::eval
