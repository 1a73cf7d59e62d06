// The renderers on hand-made results (no models): word boxes used where present, lines otherwise;
// XML escaping and broken UTF-8; page breaks in text; page ranges.
#include <sstream>

#include <gtest/gtest.h>

#include "ocr/pages.h"
#include "ocr/render.h"
#include "ocr/render_detail.h"

namespace {

using namespace edgeocr::ocr;

Quad rect(float x0, float y0, float x1, float y1) { return {Point{x0, y0}, Point{x1, y0}, Point{x1, y1}, Point{x0, y1}}; }

OcrResult two_lines() {
  OcrResult r;
  r.width = 400;
  r.height = 200;
  TextLine with_words{"Total 9.00", 0.9f, rect(10, 10, 210, 40), 0, 0, {}, "", ""};
  with_words.words = {Word{"Total", 0.95f, rect(10, 10, 100, 40)}, Word{"9.00", 0.85f, rect(130, 10, 210, 40)}};
  TextLine without_words{"a<b & \"c\"", 0.5f, rect(10, 60, 150, 90), 1, 1, {}, "", ""};
  r.lines = {with_words, without_words};
  r.text = "Total 9.00\na<b & \"c\"";
  return r;
}

std::string render(const std::string& format, const std::vector<OcrResult>& pages) {
  auto renderer = make_renderer(format);
  std::ostringstream out;
  renderer->begin(out);
  for (size_t i = 0; i < pages.size(); ++i) {
    RenderedPage p;
    p.file = "scan.png";
    p.page = static_cast<int>(i + 1);
    p.result = &pages[i];
    renderer->add_page(out, p);
  }
  renderer->end(out);
  return out.str();
}

TEST(Render, HocrUsesWordBoxesWhereGivenElseTheLine) {
  const std::string hocr = render("hocr", {two_lines()});
  EXPECT_NE(hocr.find("title=\"bbox 10 10 100 40; x_wconf 95\">Total</span>"), std::string::npos) << hocr;
  EXPECT_NE(hocr.find("title=\"bbox 130 10 210 40; x_wconf 85\">9.00</span>"), std::string::npos) << hocr;
  EXPECT_NE(hocr.find("title=\"bbox 10 60 150 90; x_wconf 50\">a&lt;b &amp; &quot;c&quot;</span>"), std::string::npos) << hocr;
  EXPECT_NE(hocr.find("class=\"ocr_page\" id=\"page_1\" title=\"image &quot;scan.png&quot;; bbox 0 0 400 200; ppageno 0\""),
            std::string::npos) << hocr;
}

TEST(Render, AltoHasStringsWithPositionsAndSpaces) {
  const std::string alto = render("alto", {two_lines()});
  EXPECT_NE(alto.find("xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\""), std::string::npos);
  EXPECT_NE(alto.find("HPOS=\"10\" VPOS=\"10\" WIDTH=\"90\" HEIGHT=\"30\" CONTENT=\"Total\" WC=\"0.95\"/><SP/><String"),
            std::string::npos) << alto;
  EXPECT_NE(alto.find("CONTENT=\"a&lt;b &amp; &quot;c&quot;\" WC=\"0.50\""), std::string::npos) << alto;
}

TEST(Render, TextSeparatesPagesWithFormFeeds) {
  OcrResult second;
  second.text = "page two";
  EXPECT_EQ(render("text", {two_lines(), second}), "Total 9.00\na<b & \"c\"\n\fpage two\n");
}

TEST(Render, XmlEscapeReplacesBrokenUtf8AndControls) {
  EXPECT_EQ(detail::xml_escape("ok \xE4\xB8\xAD \xFF x\x01y"), "ok \xE4\xB8\xAD \xEF\xBF\xBD x y");
  EXPECT_EQ(detail::decode_utf8("\xF0\x9F\x98\x80"), std::u32string(1, U'\U0001F600'));
}

TEST(Pages, RangesParseAndSelect) {
  EXPECT_EQ(select_pages(parse_page_ranges("1-3,5,8-"), 9), (std::vector<int>{1, 2, 3, 5, 8, 9}));
  EXPECT_EQ(select_pages({}, 3), (std::vector<int>{1, 2, 3}));
  EXPECT_THROW(parse_page_ranges("3-1"), std::invalid_argument);
  EXPECT_THROW(parse_page_ranges("0"), std::invalid_argument);
  EXPECT_THROW(parse_page_ranges("a-b"), std::invalid_argument);
  EXPECT_THROW(select_pages(parse_page_ranges("4"), 3), ImageError);
}

}  // namespace
