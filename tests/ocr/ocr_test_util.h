// Shared by the model-based OCR tests: one pipeline per test binary, and the text
// normalisation used where PP-OCR legitimately differs from the rendered string.
#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include "ocr/pipeline.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr::testing {

inline Pipeline& shared_pipeline() {
  static std::unique_ptr<Pipeline> pipeline = [] {
    PipelineOptions options;
    options.model_dir = test::model_dir();
    options.threads = 2;
    return std::make_unique<Pipeline>(options);
  }();
  return *pipeline;
}

inline bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x3000 && c <= 0x303F) ||
         (c >= 0xFF00 && c <= 0xFFEF);
}

inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6)), out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12)), out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18)), out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)), out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// The documented normal form for comparing PP-OCR output with rendered text:
//  - full-width ASCII forms (U+FF01..FF5E, e.g. "￥" U+FFE5 aside) become ASCII, "￥" becomes "¥":
//    the dictionary holds both and the model picks either for the same glyph;
//  - a space next to a CJK character is dropped: Chinese has no word spaces and PP-OCR's
//    training labels rarely keep them, so the model omits them.
// Everything else (letters, digits, punctuation, spaces between Latin words) must match exactly.
inline std::string normalise(const std::string& utf8) {
  std::u32string s = test::to_u32(utf8);
  for (auto& c : s) {
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;
    if (c == 0xFFE5) c = 0xA5;
  }
  std::u32string kept;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == U' ') {
      const bool cjk_before = !kept.empty() && is_cjk(kept.back());
      const bool cjk_after = i + 1 < s.size() && is_cjk(s[i + 1]);
      if (cjk_before || cjk_after || (!kept.empty() && kept.back() == U' ')) continue;
    }
    kept.push_back(s[i]);
  }
  std::string out;
  for (char32_t c : kept) append_utf8(out, c);
  return out;
}

// Rows kept, every space removed (see CleanReceiptReadsInOrder).
inline std::string without_spaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return normalise(s);
}

}  // namespace edgeocr::ocr::testing
