// Page layout for extraction: lines in deskewed coordinates, grouped into rows and blocks, and
// key -> value pairing by position (value on the key's line, right of it, or below it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocr/types.h"

namespace edgeocr::extract {

struct LayoutLine {
  int index = 0;            // into OcrResult::lines
  std::string text;
  float confidence = 0;
  ocr::Quad box{};
  float left = 0, right = 0, top = 0, bottom = 0;  // deskewed axis-aligned bounds
  float cx() const { return (left + right) / 2; }
  float cy() const { return (top + bottom) / 2; }
  float height() const { return bottom - top; }
  int row = 0;              // index into Layout::rows
  int block = 0;            // index into Layout::blocks
};

struct Layout {
  float skew_radians = 0;                 // estimated page skew that was removed
  std::vector<LayoutLine> lines;          // sorted top-to-bottom, then left-to-right
  std::vector<std::vector<int>> rows;     // positions in `lines`, left to right
  std::vector<std::vector<int>> blocks;   // consecutive rows without a large vertical gap

  std::string row_text(int row) const;    // the row's lines joined by one space
};

Layout build_layout(const ocr::OcrResult& ocr);

// Where the value of a key was found.
struct KeyValue {
  int key_line = -1;     // position in Layout::lines
  int value_line = -1;   // position in Layout::lines (== key_line when on the same line)
  std::string value;     // the value text (trimmed; separators like ':' removed)
};

// Finds the value of the key that occupies bytes [key_begin, key_end) of line `key_line`:
// the rest of the same line if non-empty, else the nearest line to the right on the same row,
// else the nearest line below that overlaps the key horizontally. `accept` filters candidates
// (e.g. "must contain an amount"); a rejected same-line rest falls through to right/below.
template <typename Accept>
std::optional<KeyValue> find_value(const Layout& layout, int key_line, size_t key_end,
                                   Accept&& accept);

// Non-template core of find_value: returns candidate (line, text) pairs in preference order.
std::vector<KeyValue> value_candidates(const Layout& layout, int key_line, size_t key_end);

template <typename Accept>
std::optional<KeyValue> find_value(const Layout& layout, int key_line, size_t key_end,
                                   Accept&& accept) {
  for (auto& kv : value_candidates(layout, key_line, key_end))
    if (accept(kv.value)) return kv;
  return std::nullopt;
}

// Case-insensitive search of `key` in `text`, ignoring spaces on both sides; returns the byte
// offset just after the match in `text`, or npos. ASCII is folded; CJK compared as is.
size_t find_key(std::string_view text, std::string_view key, size_t* match_begin = nullptr);

}  // namespace edgeocr::extract
