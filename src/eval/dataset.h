// Labelled datasets for `edgeocr eval`: the SROIE layout (img/, box/, key/) and EdgeOCR's own
// layout (an image plus a same-name .json with lines and fields).
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ocr/types.h"

namespace edgeocr::eval {

class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LabelledLine {
  ocr::Quad box{};
  std::string text;
};

struct Sample {
  std::string id;                              // file stem: "000"
  std::filesystem::path image;
  bool has_lines = false;                      // line labels present (det/CER are scored)
  std::vector<LabelledLine> lines;
  std::map<std::string, std::string> fields;   // key fields ("company", "date", ...)
  std::string text;                            // whole-image transcript (line-image layout)
};

enum class DatasetLayout { sroie, edgeocr, line_images };

struct Dataset {
  DatasetLayout layout = DatasetLayout::sroie;
  std::filesystem::path root;
  std::vector<Sample> samples;  // sorted by id
};

// Detects the layout: `img/` + `box/` (+ `key/`) is SROIE; `lines/` with NAME.png + NAME.gt.txt
// (tesstrain convention: one text line per image) is line images; otherwise every image file
// with a same-name .json next to it. `only_prefix` keeps the samples whose id starts with it.
// Throws DatasetError with one clear line on unreadable input.
Dataset load_dataset(const std::filesystem::path& dir, size_t limit = 0, const std::string& only_prefix = "");

// SROIE box file: `x1,y1,x2,y2,x3,y3,x4,y4,transcript` per line; the transcript is everything
// after the 8th comma. CRLF, blank lines and a UTF-8 BOM are tolerated; bad rows throw.
std::vector<LabelledLine> parse_sroie_boxes(std::string_view content, const std::string& source);

// EdgeOCR layout label: {"lines":[{"box":[[x,y],[x,y],[x,y],[x,y]],"text":"..."}],
// "fields":{"name":"value"}}; both keys optional.
void parse_edgeocr_label(std::string_view json_text, const std::string& source, Sample& sample);

}  // namespace edgeocr::eval
