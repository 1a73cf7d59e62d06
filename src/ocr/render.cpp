#include "ocr/render.h"
#include "ocr/utf8.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "ocr/render_detail.h"

namespace edgeocr::ocr {
namespace detail {

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    bool ok = extra >= 0 && i + static_cast<size_t>(extra) < s.size() + (extra == 0 ? 1 : 0);
    for (int k = 1; ok && k <= extra; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) >> 6) != 2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    static constexpr char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (!ok || cp < min_for[std::max(0, extra)] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out += U'\uFFFD';  // invalid sequence: one replacement character, resync at the next byte
      ++i;
      continue;
    }
    out += cp;
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (const char32_t cp : decode_utf8(s)) {
    switch (cp) {
      case U'&': out += "&amp;"; break;
      case U'<': out += "&lt;"; break;
      case U'>': out += "&gt;"; break;
      case U'"': out += "&quot;"; break;
      case U'\'': out += "&#39;"; break;
      default:
        // XML 1.0 has no form for the other C0 controls: they become spaces.
        if (cp < 0x20 && cp != U'\t' && cp != U'\n' && cp != U'\r') out += ' ';
        else append_utf8(out, cp);
    }
  }
  return out;
}

BoundingBox bounding_box(const Quad& q) {
  BoundingBox b{q[0].x, q[0].y, q[0].x, q[0].y};
  for (const auto& p : q) {
    b.x0 = std::min(b.x0, p.x);
    b.y0 = std::min(b.y0, p.y);
    b.x1 = std::max(b.x1, p.x);
    b.y1 = std::max(b.y1, p.y);
  }
  return b;
}

}  // namespace detail

namespace {

using detail::bounding_box;
using detail::xml_escape;

int px(float v) { return static_cast<int>(std::lround(std::max(0.0f, v))); }

// Clamped to the page, as integers: what hOCR and ALTO readers expect.
struct IntBox {
  int x0, y0, x1, y1;
};
IntBox int_box(const Quad& q, const OcrResult& r) {
  const auto b = bounding_box(q);
  IntBox out{px(b.x0), px(b.y0), px(b.x1), px(b.y1)};
  if (r.width > 0) out.x0 = std::min(out.x0, r.width), out.x1 = std::min(out.x1, r.width);
  if (r.height > 0) out.y0 = std::min(out.y0, r.height), out.y1 = std::min(out.y1, r.height);
  return out;
}

// One field of a TSV row: tabs and newlines would break the row.
std::string tsv_field(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

// Extracted fields ({"extraction":{"fields":{name: value|null}}}) as "name: value" lines.
void write_fields_as_text(std::ostream& out, const nlohmann::json* extra) {
  if (!extra || !extra->contains("extraction")) return;
  const auto& fields = (*extra)["extraction"].value("fields", nlohmann::json::object());
  if (fields.empty()) return;
  out << '\n';
  for (const auto& [name, value] : fields.items())
    out << name << ": " << (value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump()) << '\n';
}

class TextRenderer : public ResultRenderer {
 public:
  explicit TextRenderer(RenderOptions o) : options_(o) {}
  void add_page(std::ostream& out, const RenderedPage& p) override {
    if (p.file != last_file_ || p.page <= last_page_) {  // the next input (possibly the same file again)
      if (options_.several_inputs) out << (first_ ? "" : "\n") << "==> " << p.file << " <==\n";
      last_file_ = p.file;
      first_ = false;
    } else {
      out << '\f';  // page break within a file, as Tesseract writes it
    }
    last_page_ = p.page;
    out << p.result->text;
    if (!p.result->text.empty()) out << '\n';
    write_fields_as_text(out, p.extra);
  }

 private:
  RenderOptions options_;
  std::string last_file_;
  int last_page_ = 0;
  bool first_ = true;
};

nlohmann::json page_object(const RenderedPage& p, bool with_file) {
  nlohmann::json j;
  if (with_file) {
    j["file"] = p.file;
    j["error"] = nullptr;
  }
  j["page"] = p.page;
  j.update(to_json(*p.result));
  if (p.extra) j.update(*p.extra);
  return j;
}

nlohmann::json error_object(const std::string& file, const std::string& message) {
  return {{"file", file}, {"page", nullptr}, {"error", message}};
}

std::string dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

class JsonRenderer : public ResultRenderer {
 public:
  explicit JsonRenderer(RenderOptions o) : options_(o) {}
  void add_page(std::ostream&, const RenderedPage& p) override { items_.push_back(page_object(p, true)); }
  void add_error(std::ostream&, const std::string& file, const std::string& message) override {
    items_.push_back(error_object(file, message));
  }
  void end(std::ostream& out) override {
    if (items_.size() == 1 && !options_.several_inputs && items_[0]["error"].is_null()) {
      // One page of one input: the page object itself.
      items_[0].erase("file");
      items_[0].erase("error");
      out << dump(items_[0], 2) << '\n';
      return;
    }
    out << dump(nlohmann::json(items_), 2) << '\n';  // each item says which file and page it is
  }

 private:
  RenderOptions options_;
  std::vector<nlohmann::json> items_;
};

class JsonLinesRenderer : public ResultRenderer {
 public:
  void add_page(std::ostream& out, const RenderedPage& p) override { out << dump(page_object(p, true), -1) << '\n' << std::flush; }
  void add_error(std::ostream& out, const std::string& file, const std::string& message) override {
    out << dump(error_object(file, message), -1) << '\n' << std::flush;
  }
};

class TsvRenderer : public ResultRenderer {
 public:
  void begin(std::ostream& out) override { out << "file\tpage\torder\tconfidence\tx1\ty1\tx2\ty2\tx3\ty3\tx4\ty4\ttext\n"; }
  void add_page(std::ostream& out, const RenderedPage& p) override {
    for (const auto& line : p.result->lines) {
      out << tsv_field(p.file) << '\t' << p.page << '\t' << line.order << '\t' << line.confidence;
      for (const auto& pt : line.box) out << '\t' << pt.x << '\t' << pt.y;
      out << '\t' << tsv_field(line.text) << '\n';
    }
  }
};

class MarkdownRenderer : public ResultRenderer {
 public:
  void add_page(std::ostream& out, const RenderedPage& p) override {
    if (!first_) out << "\n---\n\n";
    first_ = false;
    out << to_markdown(*p.result);
  }

 private:
  bool first_ = true;
};

int confidence_percent(float c) { return static_cast<int>(std::lround(std::clamp(c, 0.0f, 1.0f) * 100)); }

// hOCR 1.2: XHTML, one ocr_page per page, ocr_line per line, ocrx_word per word.
class HocrRenderer : public ResultRenderer {
 public:
  void begin(std::ostream& out) override {
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" "
           "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
           "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n<head>\n<title></title>\n"
           "<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
           "<meta name=\"ocr-system\" content=\"edgeocr\"/>\n"
           "<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_line ocrx_word ocrp_wconf\"/>\n"
           "</head>\n<body>\n";
  }
  void add_page(std::ostream& out, const RenderedPage& p) override {
    const OcrResult& r = *p.result;
    ++page_;
    // The file name goes inside a double-quoted title value: no quotes or semicolons in it.
    std::string image = p.file;
    std::replace_if(image.begin(), image.end(), [](char c) { return c == '"' || c == ';'; }, '_');
    out << "<div class=\"ocr_page\" id=\"page_" << page_ << "\" title=\"image &quot;" << xml_escape(image)
        << "&quot;; bbox 0 0 " << r.width << ' ' << r.height << "; ppageno " << p.page - 1 << "\">\n";
    int line_no = 0;
    for (const auto& line : r.lines) {
      ++line_no;
      const IntBox b = int_box(line.box, r);
      out << " <span class=\"ocr_line\" id=\"line_" << page_ << '_' << line_no << "\" title=\"bbox " << b.x0 << ' '
          << b.y0 << ' ' << b.x1 << ' ' << b.y1 << "; x_wconf " << confidence_percent(line.confidence) << "\">";
      int word_no = 0;
      for (const auto& w : words_of(line)) {
        const IntBox wb = int_box(w.box, r);
        if (word_no++) out << ' ';
        out << "<span class=\"ocrx_word\" id=\"word_" << page_ << '_' << line_no << '_' << word_no << "\" title=\"bbox " << wb.x0 << ' ' << wb.y0 << ' ' << wb.x1 << ' ' << wb.y1
            << "; x_wconf " << confidence_percent(w.confidence) << "\">" << xml_escape(w.text) << "</span>";
      }
      out << "</span>\n";
    }
    out << "</div>\n";
  }
  void end(std::ostream& out) override { out << "</body>\n</html>\n"; }

 private:
  int page_ = 0;
};

// ALTO v4: Page > PrintSpace > TextBlock > TextLine > String (+ SP between words).
class AltoRenderer : public ResultRenderer {
 public:
  void add_page(std::ostream& out, const RenderedPage& p) override {
    if (page_ == 0) begin_document(out, p.file);
    const OcrResult& r = *p.result;
    ++page_;
    std::string id = "p";
    id += std::to_string(page_);
    out << "<Page ID=\"" << id << "\" PHYSICAL_IMG_NR=\"" << p.page << "\" WIDTH=\"" << r.width << "\" HEIGHT=\""
        << r.height << "\">\n<PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"" << r.width << "\" HEIGHT=\"" << r.height
        << "\">\n";
    if (!r.lines.empty()) {
      IntBox block{r.width, r.height, 0, 0};
      for (const auto& line : r.lines) {
        const IntBox b = int_box(line.box, r);
        block = {std::min(block.x0, b.x0), std::min(block.y0, b.y0), std::max(block.x1, b.x1), std::max(block.y1, b.y1)};
      }
      out << "<TextBlock ID=\"" << id << "_b1\"" << position(block) << ">\n";
      int line_no = 0;
      for (const auto& line : r.lines) {
        const std::string line_id = id + "_l" + std::to_string(++line_no);
        out << "<TextLine ID=\"" << line_id << "\"" << position(int_box(line.box, r)) << ">";
        int word_no = 0;
        for (const auto& w : words_of(line)) {
          if (word_no) out << "<SP/>";
          char wc[16];
          std::snprintf(wc, sizeof wc, "%.2f", std::clamp(w.confidence, 0.0f, 1.0f));
          out << "<String ID=\"" << line_id << "_w" << ++word_no << "\"" << position(int_box(w.box, r))
              << " CONTENT=\"" << xml_escape(w.text) << "\" WC=\"" << wc << "\"/>";
        }
        out << "</TextLine>\n";
      }
      out << "</TextBlock>\n";
    }
    out << "</PrintSpace>\n</Page>\n";
  }
  void end(std::ostream& out) override {
    if (page_ == 0) begin_document(out, "");
    out << "</Layout>\n</alto>\n";
  }

 private:
  static std::string position(const IntBox& b) {
    return " HPOS=\"" + std::to_string(b.x0) + "\" VPOS=\"" + std::to_string(b.y0) + "\" WIDTH=\"" +
           std::to_string(b.x1 - b.x0) + "\" HEIGHT=\"" + std::to_string(b.y1 - b.y0) + "\"";
  }
  static void begin_document(std::ostream& out, const std::string& file) {
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# "
           "http://www.loc.gov/alto/v4/alto-4-2.xsd\">\n"
           "<Description>\n<MeasurementUnit>pixel</MeasurementUnit>\n<sourceImageInformation>\n<fileName>"
        << xml_escape(file)
        << "</fileName>\n</sourceImageInformation>\n<OCRProcessing ID=\"ocr\">\n<ocrProcessingStep>\n"
           "<processingSoftware>\n<softwareName>EdgeOCR</softwareName>\n</processingSoftware>\n"
           "</ocrProcessingStep>\n</OCRProcessing>\n</Description>\n<Layout>\n";
  }
  int page_ = 0;
};

float line_height(const TextLine& l) {
  const float left = std::hypot(l.box[3].x - l.box[0].x, l.box[3].y - l.box[0].y);
  const float right = std::hypot(l.box[2].x - l.box[1].x, l.box[2].y - l.box[1].y);
  return (left + right) / 2;
}

}  // namespace

std::vector<Word> words_of(const TextLine& line) {
  if (!line.words.empty()) return line.words;
  return {Word{line.text, line.confidence, line.box}};
}

std::string to_markdown(const OcrResult& r) {
  if (r.lines.empty()) return "";
  struct Row {
    std::string text;
    float top = 1e9f, bottom = -1e9f, height = 0;
  };
  std::map<int, Row> rows;
  for (const auto& l : r.lines) {  // lines are in reading order already
    Row& row = rows[l.row];
    if (!row.text.empty()) row.text += ' ';
    row.text += l.text;
    for (const auto& p : l.box) {
      row.top = std::min(row.top, p.y);
      row.bottom = std::max(row.bottom, p.y);
    }
    row.height = std::max(row.height, line_height(l));
  }
  std::vector<float> heights;
  for (const auto& [i, row] : rows) heights.push_back(row.height);
  std::nth_element(heights.begin(), heights.begin() + static_cast<std::ptrdiff_t>(heights.size() / 2), heights.end());
  const float median = std::max(1.0f, heights[heights.size() / 2]);
  std::string md;
  const Row* previous = nullptr;
  for (const auto& [i, row] : rows) {
    if (previous && row.top - previous->bottom > 1.2f * median) md += '\n';  // paragraph break
    if (row.height > 1.6f * median && rows.size() > 2) md += "## ";
    md += row.text + "\n";
    previous = &row;
  }
  return md;
}

const std::vector<std::string>& render_formats() {
  static const std::vector<std::string> formats = {"text", "json", "jsonl", "tsv", "hocr", "alto", "pdf", "markdown"};
  return formats;
}

std::string_view render_extension(std::string_view format) {
  if (format == "text") return ".txt";
  if (format == "json") return ".json";
  if (format == "jsonl") return ".jsonl";
  if (format == "tsv") return ".tsv";
  if (format == "hocr") return ".hocr";
  if (format == "alto") return ".xml";
  if (format == "pdf") return ".pdf";
  if (format == "markdown") return ".md";
  throw std::invalid_argument("unknown output format: " + std::string(format));
}

std::unique_ptr<ResultRenderer> make_renderer(std::string_view format, const RenderOptions& options) {
  if (format == "text") return std::make_unique<TextRenderer>(options);
  if (format == "json") return std::make_unique<JsonRenderer>(options);
  if (format == "jsonl") return std::make_unique<JsonLinesRenderer>();
  if (format == "tsv") return std::make_unique<TsvRenderer>();
  if (format == "hocr") return std::make_unique<HocrRenderer>();
  if (format == "alto") return std::make_unique<AltoRenderer>();
  if (format == "pdf") return detail::make_pdf_renderer();
  if (format == "markdown") return std::make_unique<MarkdownRenderer>();
  throw std::invalid_argument("unknown output format: " + std::string(format));
}

}  // namespace edgeocr::ocr
