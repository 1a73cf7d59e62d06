// JSON form of an OCR result, shared by the CLI and the server.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "ocr/types.h"

namespace edgeocr::ocr {

// {text, lines:[{text, confidence, box:[[x,y]x4], row, order}], width, height, page_rotation,
//  timings_ms:{decode, det, cls, rec, post, total}}
nlohmann::json to_json(const OcrResult& result);

// The parts of it, for results that carry lines or timings of their own (the server's responses).
nlohmann::json box_json(const Quad& box);                      // [[x,y]x4], 0.1 px
nlohmann::json lines_json(const std::vector<TextLine>& lines);  // [{text, confidence, box, row, order, words}]
nlohmann::json timings_json(const StageTimings& timings);       // {decode, det, cls, rec, post, total}, 0.01 ms

}  // namespace edgeocr::ocr
