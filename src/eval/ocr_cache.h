// OCR results kept on disk for training and re-scoring without reading the images again:
// one `<sample id>.json` per image in a folder, in the `edgeocr ocr --format json` form.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "ocr/types.h"

namespace edgeocr::eval {

// Parses the JSON form of an OCR result (text, lines with text/confidence/box/row/order, width,
// height). Throws std::runtime_error naming `source` on malformed input.
ocr::OcrResult ocr_result_from_json(const nlohmann::json& j, const std::string& source);

class OcrCache {
 public:
  explicit OcrCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // The cached result of `id`, if there is one.
  std::optional<ocr::OcrResult> get(const std::string& id) const;
  // Writes atomically (temporary file + rename); creates the folder.
  void put(const std::string& id, const ocr::OcrResult& result) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace edgeocr::eval
