// Word spacing, word boxes and page orientation with the real PP-OCR models, on text rendered
// by the test in several Noto fonts and sizes.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "ocr/json.h"
#include "ocr/pipeline.h"
#include "ocr_test_util.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr {
namespace {

using testing::normalise;
using testing::shared_pipeline;

// Noto faces from Debian's fonts-noto-cjk (installed by scripts/install-deps.sh).
const std::vector<std::string>& font_files() {
  static const std::vector<std::string> fonts = {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                                                 "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                                                 "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"};
  return fonts;
}

const test::TextRenderer& renderer(size_t font = 0) {
  static const std::vector<test::TextRenderer> renderers = [] {
    std::vector<test::TextRenderer> r;
    for (const auto& f : font_files()) r.emplace_back(f);
    return r;
  }();
  return renderers.at(font);
}

// One line drawn word by word at the pen positions of the whole line, so each word's ink box is
// known; the image is the same as drawing the line in one go.
struct WordLine {
  cv::Mat image;
  std::vector<test::DrawnLine> words;
};

WordLine draw_words(const test::TextRenderer& r, const std::string& text, int pixel_size, int margin = 24) {
  WordLine out;
  out.image = cv::Mat(r.line_height(pixel_size) + 2 * margin, r.text_width(text, pixel_size) + 2 * margin, CV_8UC3,
                      cv::Scalar::all(255));
  size_t start = 0;
  while (start < text.size()) {
    const size_t space = text.find(' ', start);
    const size_t end = space == std::string::npos ? text.size() : space;
    const int x = margin + r.text_width(text.substr(0, start), pixel_size);
    out.words.push_back(r.draw(out.image, text.substr(start, end - start), {x, margin}, pixel_size));
    start = end + 1;
  }
  return out;
}

const std::vector<std::string>& spaced_lines() {
  static const std::vector<std::string> lines = {"Thank you for shopping", "Hello World 2026", "TAN WOON YANN",
                                                 "JOHOR BAHRU", "Total: 128.75", "SDN BHD", "Amount (RM) 49.60"};
  return lines;
}

// Indices (in the text without spaces) of the characters that follow a space.
std::vector<size_t> space_positions(const std::string& text) {
  std::vector<size_t> positions;
  size_t index = 0;
  for (char32_t c : test::to_u32(text)) {
    if (c == U' ') {
      positions.push_back(index);
    } else {
      ++index;
    }
  }
  return positions;
}

// Every Latin word of lines in three Noto faces at five sizes: the spaces drawn come out (the
// recognizer's own or restored from the CTC frame gaps), none is invented, and each word's box
// lands on its ink. Frame positions are 8 px of a 48 px high crop apart, so a narrow space in a
// small or bold face can fall inside the line's normal pitch: those are restored from the space
// class's near miss, and no space may appear inside brackets or a number.
TEST(SpacingTest, WordsSeparatedAndBoxedWhereDrawn) {
  struct Face {
    size_t font;
    int size;
  };
  size_t drawn_spaces = 0, restored = 0, invented = 0, misread = 0, lines = 0;
  for (const Face face : {Face{0, 24}, Face{0, 40}, Face{1, 32}, Face{2, 28}, Face{2, 44}})
    for (const std::string& text : spaced_lines()) {
      ++lines;
      const WordLine drawn = draw_words(renderer(face.font), text, face.size);
      const OcrResult result = shared_pipeline().run(drawn.image);
      ASSERT_EQ(result.lines.size(), 1u) << text << " -> " << result.text;
      const TextLine& line = result.lines[0];
      std::cout << "font " << face.font << " " << face.size << " px: " << line.text << "\n";
      if (testing::without_spaces(line.text) != testing::without_spaces(text)) {
        ++misread;  // a character misread: its spacing says nothing
        continue;
      }
      const auto want = space_positions(text), got = space_positions(line.text);
      drawn_spaces += want.size();
      for (size_t p : got) (std::find(want.begin(), want.end(), p) != want.end() ? restored : invented) += 1;
      if (line.text != text) continue;
      ASSERT_EQ(line.words.size(), drawn.words.size()) << line.text;
      for (size_t i = 0; i < drawn.words.size(); ++i) {
        const Word& word = line.words[i];
        EXPECT_EQ(word.text, drawn.words[i].text);
        EXPECT_GT(word.confidence, 0.5f);
        // Horizontal edges within 40 % of the text size of the ink; the box covers the ink.
        const float tolerance = 0.4f * static_cast<float>(face.size);
        EXPECT_NEAR(word.box[0].x, drawn.words[i].box[0].x, tolerance) << text << ": " << word.text;
        EXPECT_NEAR(word.box[1].x, drawn.words[i].box[1].x, tolerance) << text << ": " << word.text;
        EXPECT_GE(test::quad_iou(word.box, drawn.words[i].box), 0.5) << text << ": " << word.text;
      }
    }
  std::cout << "spaces restored " << restored << "/" << drawn_spaces << ", invented " << invented << ", misread lines "
            << misread << "/" << lines << "\n";
  EXPECT_EQ(invented, 0u);
  EXPECT_LE(misread, 2u);
  EXPECT_GE(restored * 100, drawn_spaces * 90) << restored << "/" << drawn_spaces;
}

TEST(WordsTest, CjkRunIsOneWordAndMixedLineSplitsByScript) {
  const std::string text = "康师傅红烧牛肉面 Instant Noodles 4.50";
  const WordLine drawn = draw_words(renderer(), text, 36);
  const OcrResult result = shared_pipeline().run(drawn.image);
  ASSERT_EQ(result.lines.size(), 1u) << result.text;
  EXPECT_EQ(normalise(result.lines[0].text), normalise(text));
  const auto& words = result.lines[0].words;
  ASSERT_EQ(words.size(), 4u) << result.lines[0].text;
  EXPECT_EQ(words[0].text, "康师傅红烧牛肉面");
  for (size_t i = 0; i < words.size(); ++i)
    EXPECT_GE(test::quad_iou(words[i].box, drawn.words[i].box), 0.5) << words[i].text;
}

TEST(WordsTest, JsonCarriesWordsWithBoxes) {
  const WordLine drawn = draw_words(renderer(), "Total: 128.75", 36);
  const auto j = to_json(shared_pipeline().run(drawn.image));
  ASSERT_EQ(j.at("lines").size(), 1u);
  const auto& words = j.at("lines")[0].at("words");
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].at("text"), "Total:");
  EXPECT_EQ(words[1].at("text"), "128.75");
  EXPECT_EQ(words[1].at("box").size(), 4u);
  EXPECT_GT(words[1].at("box")[0][0].get<double>(), words[0].at("box")[1][0].get<double>() - 1);
  EXPECT_GT(words[0].at("confidence").get<double>(), 0.5);
}

// Word boxes follow the page when it is turned: they stay inside their line's box.
TEST(WordsTest, WordBoxesFollowATurnedPage) {
  for (int degrees : {90, 180, 270}) {
    test::Page page = test::render_line(renderer(), "Thank you for shopping", 36);
    test::rotate_quarter(page, degrees);
    const OcrResult result = shared_pipeline().run(page.image);
    ASSERT_EQ(result.lines.size(), 1u) << degrees;
    const TextLine& line = result.lines[0];
    ASSERT_EQ(line.words.size(), 4u) << degrees << ": " << line.text;
    for (const Word& w : line.words) EXPECT_GE(test::quad_iou(w.box, line.box), 0.1) << degrees;
    // In reading order along the upright line.
    for (size_t i = 1; i < line.words.size(); ++i) EXPECT_GT(line.words[i].box[0].x, line.words[i - 1].box[0].x) << degrees;
  }
}

// --- Orientation: no line may be lost to a wrong turn ---

// The line of the reported failure: 900x90, 40 px Noto Sans CJK at (20, 15).
test::Page reported_line() {
  test::Page page;
  page.image = cv::Mat(90, 900, CV_8UC3, cv::Scalar::all(255));
  page.text = "康师傅红烧牛肉面 Instant Noodles 4.50";
  page.lines.push_back(renderer().draw(page.image, page.text, {20, 15}, 40));
  return page;
}

// A single line touching one edge of its image (2 px margin there, more elsewhere).
test::Page line_at_edge(const std::string& text, int size, char edge) {
  const test::TextRenderer& r = renderer();
  const int w = r.text_width(text, size), h = r.line_height(size);
  const int pad = 2 * size;
  test::Page page;
  page.image = cv::Mat(h + pad + 2, w + pad + 2, CV_8UC3, cv::Scalar::all(255));
  const cv::Point at = edge == 't' ? cv::Point{pad / 2, 0} : edge == 'b' ? cv::Point{pad / 2, pad}
                       : edge == 'l' ? cv::Point{2, pad / 2} : cv::Point{pad, pad / 2};
  page.text = text;
  page.lines.push_back(r.draw(page.image, text, at, size));
  return page;
}

void expect_reads(test::Page page, int degrees, const std::string& what) {
  const std::string expected = normalise(page.text);
  test::rotate_quarter(page, degrees);
  const OcrResult result = shared_pipeline().run(page.image);
  EXPECT_EQ(normalise(result.text), expected) << what << " turned " << degrees;
  EXPECT_EQ(result.page_rotation, (360 - degrees) % 360) << what << " turned " << degrees;
}

class OrientationTest : public ::testing::TestWithParam<int> {};

TEST_P(OrientationTest, ReportedLineReads) { expect_reads(reported_line(), GetParam(), "900x90 line"); }

TEST_P(OrientationTest, LinesTouchingEachEdgeRead) {
  const int degrees = GetParam();
  struct Case {
    const char* text;
    int size;
    char edge;
  };
  for (const Case c : {Case{"Thank you for shopping", 26, 't'}, Case{"合计金额 128.75", 40, 'b'},
                       Case{"Thank you for shopping", 40, 'l'}, Case{"合计金额 128.75", 26, 'r'}})
    expect_reads(line_at_edge(c.text, c.size, c.edge), degrees,
                 std::string(c.text) + " " + std::to_string(c.size) + "px at edge " + c.edge);
}

TEST_P(OrientationTest, ShortReceiptsRead) {
  const std::vector<std::string> rows = {"FAMILY MART", "康师傅红烧牛肉面\t4.50", "TOTAL\t4.50"};
  for (int size : {20, 32}) {
    const std::string what = "receipt " + std::to_string(size) + "px";
    expect_reads(test::compose_receipt(renderer(), rows, size, 18 * size, 2), GetParam(), what);
  }
}

INSTANTIATE_TEST_SUITE_P(Quarters, OrientationTest, ::testing::Values(0, 90, 180, 270));

}  // namespace
}  // namespace edgeocr::ocr
