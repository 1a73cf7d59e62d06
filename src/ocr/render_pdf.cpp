// Searchable PDF written directly (no PDF library): per page a JPEG of the page image and, over
// it, the recognised words as invisible text (render mode 3). The text uses a font with no glyphs
// (like Tesseract's "GlyphLessFont"): every character is a 2-byte CID whose Unicode value the
// ToUnicode map gives, so copy, search and `pdftotext` get the text, in any script, without
// embedding a CJK font. Each word is stretched (Tz) to its box width, so selections and
// `pdftotext -bbox` land on the printed words.
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "ocr/codecs.h"
#include "ocr/render_detail.h"

namespace edgeocr::ocr::detail {
namespace {

constexpr int kDefaultDpi = 150;   // page size for images of unknown resolution
constexpr float kAscent = 0.8f;    // font ascent/descent (em): the text box spans the word box
constexpr float kDescent = 0.2f;

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

struct PdfPage {
  int width_px = 0, height_px = 0;
  double width_pt = 0, height_pt = 0;
  std::vector<uchar> jpeg;
  std::string content;
};

class PdfRenderer : public ResultRenderer {
 public:
  bool binary() const override { return true; }

  void add_page(std::ostream&, const RenderedPage& p) override {
    if (!p.image || p.image->empty()) throw std::invalid_argument("pdf output needs the page image");
    PdfPage page;
    page.width_px = p.image->cols;
    page.height_px = p.image->rows;
    const double scale = 72.0 / (p.dpi > 0 ? p.dpi : kDefaultDpi);  // points per pixel
    page.width_pt = page.width_px * scale;
    page.height_pt = page.height_px * scale;
    if (!encode_image(".jpg", *p.image, page.jpeg, {cv::IMWRITE_JPEG_QUALITY, 85}))
      throw std::runtime_error("cannot encode the page image as JPEG");
    // Boxes refer to the result's size; the image may differ only if the caller scaled it.
    const double sx = p.result->width > 0 ? scale * page.width_px / p.result->width : scale;
    const double sy = p.result->height > 0 ? scale * page.height_px / p.result->height : scale;
    std::ostringstream c;
    c << "q " << fmt(page.width_pt) << " 0 0 " << fmt(page.height_pt) << " 0 0 cm /Im0 Do Q\n";
    c << "BT 3 Tr\n";
    for (const auto& line : p.result->lines) {
      for (const auto& word : words_of(line)) {
        const std::u32string chars = decode_utf8(word.text);
        if (chars.empty()) continue;
        const BoundingBox b = bounding_box(word.box);
        const double height = std::max(1.0, (b.y1 - b.y0) * sy);
        const double width = std::max(1.0, (b.x1 - b.x0) * sx);
        const double size = height / (kAscent + kDescent);
        const double stretch = 100.0 * width / (size * static_cast<double>(chars.size()));
        const double baseline = page.height_pt - b.y1 * sy + kDescent * size;
        c << "/F0 " << fmt(size) << " Tf " << fmt(stretch) << " Tz 1 0 0 1 " << fmt(b.x0 * sx) << ' ' << fmt(baseline)
          << " Tm <";
        for (const char32_t cp : chars) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "%04X", cid_of(cp));
          c << hex;
        }
        c << "> Tj\n";
      }
    }
    c << "ET\n";
    page.content = c.str();
    pages_.push_back(std::move(page));
  }

  void end(std::ostream& out) override {
    // Objects: 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, 6 ToUnicode, then per page
    // 3 objects (page, contents, image).
    std::string pdf = "%PDF-1.5\n%\xE2\xE3\xCF\xD3\n";
    std::vector<size_t> offsets;
    const auto object = [&](const std::string& body) {
      offsets.push_back(pdf.size());
      pdf += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
    };
    const auto stream = [](const std::string& dict, const std::string& data) {
      return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
    };
    const size_t first_page = 7;
    std::string kids;
    for (size_t i = 0; i < pages_.size(); ++i) kids += std::to_string(first_page + 3 * i) + " 0 R ";
    object("<< /Type /Catalog /Pages 2 0 R >>");
    object("<< /Type /Pages /Kids [ " + kids + "] /Count " + std::to_string(pages_.size()) + " >>");
    object("<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H "
           "/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>");
    object("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont "
           "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
           "/FontDescriptor 5 0 R /DW 1000 /CIDToGIDMap /Identity >>");
    object("<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 /FontBBox [0 -200 1000 800] "
           "/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 800 /StemV 80 >>");
    object(stream("", to_unicode_cmap()));
    for (size_t i = 0; i < pages_.size(); ++i) {
      const PdfPage& p = pages_[i];
      const size_t page_obj = first_page + 3 * i;
      object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + fmt(p.width_pt) + " " + fmt(p.height_pt) +
             "] /Resources << /XObject << /Im0 " + std::to_string(page_obj + 2) +
             " 0 R >> /Font << /F0 3 0 R >> >> /Contents " + std::to_string(page_obj + 1) + " 0 R >>");
      object(stream("", p.content));
      object(stream("/Type /XObject /Subtype /Image /Width " + std::to_string(p.width_px) + " /Height " +
                        std::to_string(p.height_px) +
                        " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                    std::string(p.jpeg.begin(), p.jpeg.end())));
    }
    const size_t xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
    for (const size_t off : offsets) {
      char entry[24];
      std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", off);
      pdf += entry;
    }
    pdf += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
    out.write(pdf.data(), static_cast<std::streamsize>(pdf.size()));
  }

 private:
  // CIDs are handed out per document in order of first use (0 is .notdef); 65535 distinct
  // characters is far beyond any real page.
  unsigned cid_of(char32_t cp) {
    const auto it = cids_.find(cp);
    if (it != cids_.end()) return it->second;
    if (cids_.size() >= 0xFFFE) return 0;
    const unsigned cid = static_cast<unsigned>(cids_.size()) + 1;
    cids_.emplace(cp, cid);
    return cid;
  }

  std::string to_unicode_cmap() const {
    std::ostringstream m;
    m << "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
         "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
         "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
         "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    std::vector<std::pair<unsigned, char32_t>> entries;
    for (const auto& [cp, cid] : cids_) entries.emplace_back(cid, cp);
    for (size_t i = 0; i < entries.size(); i += 100) {  // at most 100 entries per block
      const size_t n = std::min<size_t>(100, entries.size() - i);
      m << n << " beginbfchar\n";
      for (size_t k = i; k < i + n; ++k) {
        char buf[40];
        const char32_t cp = entries[k].second;
        if (cp > 0xFFFF) {  // UTF-16 surrogate pair
          const char32_t v = cp - 0x10000;
          std::snprintf(buf, sizeof buf, "<%04X> <%04X%04X>\n", entries[k].first, static_cast<unsigned>(0xD800 + (v >> 10)),
                        static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
        } else {
          std::snprintf(buf, sizeof buf, "<%04X> <%04X>\n", entries[k].first, static_cast<unsigned>(cp));
        }
        m << buf;
      }
      m << "endbfchar\n";
    }
    m << "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    return m.str();
  }

  std::vector<PdfPage> pages_;
  std::map<char32_t, unsigned> cids_;
};

}  // namespace

std::unique_ptr<ResultRenderer> make_pdf_renderer() { return std::make_unique<PdfRenderer>(); }

}  // namespace edgeocr::ocr::detail
