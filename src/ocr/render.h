// Every output format of an OCR result, in one place: the page JSON (ocr/json.h) and the
// reading-order markdown the CLI and the server share, and the renderers behind `edgeocr ocr --format` (text, json,
// jsonl, tsv, hocr, alto, pdf).
//
// A renderer writes one document: begin(), then add_page() for each page of each input (and
// add_error() for an input that failed), then end(). The CLI makes one document per output file:
// all inputs into stdout or -o FILE, or one per input with --output-dir.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "ocr/json.h"  // to_json: the JSON form of one page
#include "ocr/types.h"

namespace edgeocr::ocr {

// Reading-order markdown: rows as lines, paragraphs split at large vertical gaps, rows of
// clearly larger type as headings.
std::string to_markdown(const OcrResult& result);

// The words of a line for word-level formats: its `words` when the engine filled them, else
// the whole line as one word.
std::vector<Word> words_of(const TextLine& line);

struct RenderedPage {
  std::string file;                      // input name as given ("-" for stdin)
  int page = 1;                          // 1-based page number within the file
  const OcrResult* result = nullptr;
  const cv::Mat* image = nullptr;        // the page image the boxes refer to (needed by pdf)
  const nlohmann::json* extra = nullptr; // extra members for json/jsonl (extraction), may be null
  int dpi = 0;                           // resolution of `image` when known (PDF input), else 0
};

class ResultRenderer {
 public:
  virtual ~ResultRenderer() = default;
  virtual void begin(std::ostream& out) { (void)out; }
  virtual void add_page(std::ostream& out, const RenderedPage& page) = 0;
  virtual void add_error(std::ostream& out, const std::string& file, const std::string& message) {
    (void)out, (void)file, (void)message;
  }
  virtual void end(std::ostream& out) { (void)out; }
  // True when the format is written as binary (pdf): never mixed into a text stream.
  virtual bool binary() const { return false; }
};

struct RenderOptions {
  bool several_inputs = false;  // text: "==> FILE <==" headers; json: always an array
};

// The formats make_renderer() knows, and the file extension each writes.
const std::vector<std::string>& render_formats();
std::string_view render_extension(std::string_view format);

// Throws std::invalid_argument for an unknown format.
std::unique_ptr<ResultRenderer> make_renderer(std::string_view format, const RenderOptions& options = {});

}  // namespace edgeocr::ocr
