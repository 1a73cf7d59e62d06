// Result types of the OCR pipeline, shared by the CLI, the server, extraction and eval.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace edgeocr::ocr {

struct Point {
  float x = 0, y = 0;
};

// Four corners in original-image pixels: top-left, top-right, bottom-right, bottom-left
// (clockwise, as the text reads).
using Quad = std::array<Point, 4>;

// A word of a line (Latin words split at spaces; a CJK run is one word), boxed from the
// recognizer's CTC frame positions inside the line's box.
struct Word {
  std::string text;         // UTF-8
  float confidence = 0;     // mean of its characters' CTC confidences, 0..1
  Quad box{};
};

struct TextLine {
  std::string text;         // UTF-8
  float confidence = 0;     // recognizer confidence, 0..1
  Quad box{};
  int row = 0;              // reading-order row index (0 = top)
  int order = 0;            // index in reading order
  std::vector<Word> words;  // empty when the engine gives none (output formats then use the line)
  std::string script;       // writing system the line was read as ("Latin", "Han", "Arabic", ...); "" = unknown
  std::string language;     // Tesseract-style code of the language it was read with ("chi_sim", "ara", ...)
};

struct StageTimings {  // milliseconds
  double decode = 0, det = 0, cls = 0, rec = 0, post = 0, total = 0;
};

struct OcrResult {
  int width = 0, height = 0;       // upright image size the boxes refer to
  int page_rotation = 0;           // 0/90/180/270: clockwise rotation applied to make the page upright
  std::vector<TextLine> lines;     // in reading order
  std::string text;                // rows joined by '\n', lines within a row by ' '
  StageTimings timings;
};

}  // namespace edgeocr::ocr
