// JSON form of an OCR result, shared by the CLI and the server.
#pragma once

#include <nlohmann/json.hpp>

#include "ocr/types.h"

namespace edgeocr::ocr {

// {text, lines:[{text, confidence, box:[[x,y]x4], row, order}], width, height, page_rotation,
//  timings_ms:{decode, det, cls, rec, post, total}}
nlohmann::json to_json(const OcrResult& result);

}  // namespace edgeocr::ocr
