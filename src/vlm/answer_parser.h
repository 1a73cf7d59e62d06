// Parses HunyuanOCR answers into EdgeOCR's engine response (text, lines with boxes in the
// caller's pixels, width, height, plus the task's parts). Unparseable answers come back raw
// with parse_error set, never dropped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/response.h"
#include "ocr/types.h"
#include "vlm/prompts.h"

namespace edgeocr::vlm {

// The image the caller gave (coordinates are returned in it) and the image the model saw.
struct ImageGeometry {
  int original_width = 0, original_height = 0;
  int sent_width = 0, sent_height = 0;
};

// The model's 0..1000 normalized coordinates to the caller's pixels:
// sent_px = v * sent_size / 1000, then undo our own resize (* original / sent). Clamped to the image.
ocr::Point model_to_pixels(double x, double y, const ImageGeometry& geometry);

// Small models can loop until max_tokens: drops the repeated tail of a periodic suffix (kept once)
// when it repeats at least 3 times over at least 96 bytes. Returns the input when there is none.
std::string trim_repeated_tail(std::string_view text);

// Spotted text lines, boxes in original pixels, in the model's order. Accepts
// `<ref>T</ref><quad>(x1,y1),(x2,y2)</quad>`, the tag-less `T(x1,y1),(x2,y2)` runs servers produce
// when they skip special tokens, and v1.5's JSON array [{"box":[x1,y1,x2,y2],"text":T}].
// nullopt when the answer holds no coordinates at all.
std::optional<std::vector<ocr::TextLine>> parse_spotting(std::string_view answer, const ImageGeometry& geometry);

// Lenient JSON: strips ```json fences, skips prose before/after the first balanced {...} / [...],
// accepts single-quoted strings, Python None/True/False and trailing commas. nullopt if hopeless.
std::optional<nlohmann::json> parse_json_lenient(std::string_view text);

// The whole answer for a task (backend "vlm"):
//  spot:      text, lines (boxes in pixels)
//  parse:     text (markdown, figure tags replaced by captions), markdown, figures (caption, box)
//  text/table/formula: text (+ html / latex)
//  extract:   fields {name: value|null}, text
//  translate: text = translation, translation
//  vqa:       text = answer, answer
// Always: width/height (original), raw (the answer as received), parse_error, repetition_trimmed.
engine::OcrResponse parse_answer(const PromptRequest& request, std::string_view answer, const ImageGeometry& geometry);

}  // namespace edgeocr::vlm
