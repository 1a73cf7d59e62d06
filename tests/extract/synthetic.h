// Builds synthetic OcrResults for extraction tests: lines at given positions, optionally skewed.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "ocr/types.h"

namespace edgeocr::extract::testing {

struct SyntheticLine {
  std::string text;
  float x, y, w, h;
};

// Rotates every box by `skew_degrees` around the page origin, as a skewed scan would.
inline ocr::OcrResult make_page(const std::vector<SyntheticLine>& lines, float skew_degrees = 0,
                                float confidence = 0.95f) {
  ocr::OcrResult r;
  r.width = 1000;
  r.height = 2000;
  float a = skew_degrees * 3.14159265f / 180.0f, c = std::cos(a), s = std::sin(a);
  auto rot = [&](float x, float y) { return ocr::Point{x * c - y * s, x * s + y * c}; };
  int i = 0;
  for (const auto& l : lines) {
    ocr::TextLine t;
    t.text = l.text;
    t.confidence = confidence;
    t.box = {rot(l.x, l.y), rot(l.x + l.w, l.y), rot(l.x + l.w, l.y + l.h), rot(l.x, l.y + l.h)};
    t.row = t.order = i++;
    r.lines.push_back(t);
    if (!r.text.empty()) r.text += '\n';
    r.text += l.text;
  }
  return r;
}

}  // namespace edgeocr::extract::testing
