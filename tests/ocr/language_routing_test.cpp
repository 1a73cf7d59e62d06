// Recognizer routing with the real models and Tesseract packs: a page mixing Chinese, Japanese,
// Korean, Russian and Arabic lines comes back with each line in its script, and an explicit
// Tesseract language reads an Arabic line in logical order. Needs the packs of
// scripts/install-deps.sh (tesseract-ocr-osd, -ara, -rus, -kor, -jpn).
#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ocr/pipeline.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr {
namespace {

// A real scanned Arabic line from the shared set: FreeType alone cannot join Arabic letters, so
// the test pastes a printed line instead of drawing one. Its transcript is the file's .gt.txt.
const char* kArabicLine = "book_IbnAthir.Kamil__000114";
const char* kArabicText = "والباء الموحدة. وسنينة: تصغير سن).";

cv::Mat arabic_line() {
  const auto path = test::shared_dir() / "eval" / "arabic_lines" / "lines" / (std::string(kArabicLine) + ".png");
  cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (image.empty()) throw std::runtime_error("cannot read " + path.string());
  return image;
}

Pipeline& pipeline_for(const std::string& languages, const std::string& models = std::string(kDefaultModelSet)) {
  static std::map<std::string, std::unique_ptr<Pipeline>> pipelines;
  auto& p = pipelines[languages + "/" + models];
  if (!p) {
    PipelineOptions options;
    options.model_dir = test::model_dir();
    options.threads = 2;
    options.languages = languages;
    options.models = models;
    p = std::make_unique<Pipeline>(options);
  }
  return *p;
}

// Routing with each recognizer it must work with: v4's reads other scripts with doubt; v6-small's
// (no Cyrillic in its dictionary) reads Cyrillic as confident Latin look-alikes and some Korean as
// a few confident marks.
class RoutingBySet : public ::testing::TestWithParam<std::string> {};

struct ExpectedLine {
  std::string text, script, language;
  int y0 = 0, y1 = 0;  // vertical extent on the page
};

// The result lines whose box centres lie in the expected line's band (the detector may split a
// line), in reading order along the line: right to left for Arabic.
std::vector<const TextLine*> lines_at(const OcrResult& r, const ExpectedLine& want) {
  std::vector<const TextLine*> found;
  for (const auto& l : r.lines) {
    const float cy = (l.box[0].y + l.box[2].y) / 2;
    if (cy >= static_cast<float>(want.y0) && cy <= static_cast<float>(want.y1)) found.push_back(&l);
  }
  const bool rtl = want.script == "Arabic";
  std::sort(found.begin(), found.end(), [&](const TextLine* a, const TextLine* b) {
    return rtl ? a->box[0].x > b->box[0].x : a->box[0].x < b->box[0].x;
  });
  return found;
}

// A white page with `lines` one under another (Noto Sans CJK, 30 px, 24 px apart) and each
// line's band, the vertical extent lines_at looks in.
struct LinesPage {
  cv::Mat image;
  std::vector<std::pair<int, int>> bands;
};
LinesPage page_of_lines(const std::vector<std::string>& lines) {
  const test::TextRenderer renderer;
  const int size = 30, margin = 30, gap = 24;
  int width = 0;
  for (const auto& l : lines) width = std::max(width, renderer.text_width(l, size));
  const int height = renderer.line_height(size), step = height + gap;
  LinesPage page{cv::Mat(static_cast<int>(lines.size()) * step + 2 * margin, width + 2 * margin, CV_8UC3, cv::Scalar::all(255)), {}};
  for (size_t k = 0; k < lines.size(); ++k) {
    const int y = margin + static_cast<int>(k) * step;
    renderer.draw(page.image, lines[k], {margin, y}, size);
    page.bands.emplace_back(y, y + height);
  }
  return page;
}

TEST_P(RoutingBySet, MixedPageLinesComeBackInTheirScripts) {
  const test::TextRenderer renderer;  // Noto Sans CJK: Han, Kana, Hangul and Cyrillic
  const int size = 32, margin = 30, gap = 28;
  std::vector<ExpectedLine> lines = {
      {"北京市朝阳区建国路八十八号", "Han", "chi_sim"},
      {"東京都のニュースをお伝えします", "Japanese", "jpn"},
      {"서울특별시 중구 세종대로 110", "Hangul", "kor"},
      {"Москва, улица Тверская, дом 7", "Cyrillic", "rus"},
  };
  const cv::Mat arabic = arabic_line();
  int width = arabic.cols;
  for (const auto& l : lines) width = std::max(width, renderer.text_width(l.text, size));
  const int height = static_cast<int>(lines.size()) * (renderer.line_height(size) + gap) + arabic.rows;
  cv::Mat page(height + 2 * margin, width + 2 * margin, CV_8UC3, cv::Scalar::all(255));
  int y = margin;
  for (auto& l : lines) {
    renderer.draw(page, l.text, {margin, y}, size);
    l.y0 = y, l.y1 = y + renderer.line_height(size);
    y += renderer.line_height(size) + gap;
  }
  arabic.copyTo(page(cv::Rect(margin, y, arabic.cols, arabic.rows)));
  lines.push_back({kArabicText, "Arabic", "ara", y, y + arabic.rows});

  const OcrResult result = pipeline_for("auto", GetParam()).run(page);
  for (const auto& want : lines) {
    const auto got = lines_at(result, want);
    ASSERT_FALSE(got.empty()) << "no line read at y " << want.y0 << ".." << want.y1 << " (" << want.text << ")";
    std::string text;
    for (const TextLine* l : got) {
      EXPECT_EQ(l->script, want.script) << want.text << ": a piece read as " << l->text;
      EXPECT_EQ(l->language, want.language) << want.text << ": a piece read as " << l->text;
      text += (text.empty() ? "" : " ") + l->text;
    }
    EXPECT_LT(test::cer(want.text, text), 0.25) << want.text << " read as " << text;
  }
}

TEST(LanguageRouting, ExplicitArabicReadsInLogicalOrder) {
  cv::Mat page;  // the line on a white page: the detector needs a margin around the ink
  cv::copyMakeBorder(arabic_line(), page, 30, 30, 30, 30, cv::BORDER_CONSTANT, cv::Scalar::all(255));
  const OcrResult result = pipeline_for("ara").run(page);
  EXPECT_EQ(result.page_rotation, 0);
  const auto pieces = lines_at(result, {kArabicText, "Arabic", "ara", 0, page.rows});
  ASSERT_FALSE(pieces.empty());
  std::string text;
  for (const TextLine* l : pieces) {
    EXPECT_EQ(l->script, "Arabic") << l->text;
    EXPECT_EQ(l->language, "ara");
    text += (text.empty() ? "" : " ") + l->text;
  }
  // Logical order: the line's first words (rightmost on the page) come first, letters in
  // reading order within each word.
  const size_t first = text.find("الباء"), second = text.find("الموحدة");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(second, std::string::npos) << text;
  EXPECT_LT(first, second) << text;
  // The detector cuts the end of this line into small pieces that read poorly; a reversed or
  // Latin reading would be near 1.
  EXPECT_LT(test::cer(kArabicText, text), 0.5) << text;
}

TEST(LanguageRouting, ArabicLinesComeBackWithArabicCommasAndNoDirectionalMarks) {
  // Tesseract's ara model reads the Arabic comma of these printed lines as "»" or ",", and puts
  // invisible left-to-right marks around the digits it reads in them.
  for (const char* name : {"book_Yacqubi.Tarikh__000828", "book_Yacqubi.Tarikh__000374"}) {
    const auto path = test::shared_dir() / "eval" / "arabic_lines" / "lines" / (std::string(name) + ".png");
    const cv::Mat line = cv::imread(path.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(line.empty()) << path;
    cv::Mat page;
    cv::copyMakeBorder(line, page, 30, 30, 30, 30, cv::BORDER_CONSTANT, cv::Scalar::all(255));
    const std::string text = pipeline_for("ara").run(page).text;
    for (const char* mark : {"\u200E", "\u200F", "\u061C"}) EXPECT_EQ(text.find(mark), std::string::npos) << name << ": " << text;
    EXPECT_EQ(text.find("\u00BB"), std::string::npos) << name << ": " << text;  // no guillemet is printed
    EXPECT_EQ(text.find(','), std::string::npos) << name << ": " << text;
  }
}

TEST(LanguageRouting, PiecesOfARightToLeftLineReadFromTheRight) {
  // The line cut at the word gap nearest its middle, the halves set far apart: the detector
  // finds them as separate pieces of one row, which must read right half first.
  const cv::Mat line = arabic_line();
  cv::Mat gray, ink;
  cv::cvtColor(line, gray, cv::COLOR_BGR2GRAY);
  cv::threshold(gray, ink, 0, 1, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  cv::Mat column_ink;
  cv::reduce(ink, column_ink, 0, cv::REDUCE_SUM, CV_32S);
  int cut = line.cols / 2;
  for (int d = 0; d < line.cols / 4; ++d) {
    if (column_ink.at<int>(0, line.cols / 2 + d) == 0) {
      cut = line.cols / 2 + d;
      break;
    }
    if (column_ink.at<int>(0, line.cols / 2 - d) == 0) {
      cut = line.cols / 2 - d;
      break;
    }
  }
  const int margin = 30, gap = 200;
  cv::Mat page(line.rows + 2 * margin, line.cols + gap + 2 * margin, CV_8UC3, cv::Scalar::all(255));
  line(cv::Rect(0, 0, cut, line.rows)).copyTo(page(cv::Rect(margin, margin, cut, line.rows)));
  line(cv::Rect(cut, 0, line.cols - cut, line.rows)).copyTo(page(cv::Rect(margin + cut + gap, margin, line.cols - cut, line.rows)));

  const OcrResult result = pipeline_for("ara").run(page);
  ASSERT_GE(result.lines.size(), 2u) << result.text;
  for (size_t k = 0; k < result.lines.size(); ++k) {
    EXPECT_EQ(result.lines[k].row, 0) << result.lines[k].text;
    EXPECT_EQ(result.lines[k].script, "Arabic") << result.lines[k].text;
    if (k) {
      EXPECT_LT(result.lines[k].box[0].x, result.lines[k - 1].box[0].x) << result.text;
    }
  }
  EXPECT_EQ(result.text.rfind(result.lines.front().text, 0), 0u) << result.text;
  const size_t first = result.text.find("الباء");
  ASSERT_NE(first, std::string::npos) << result.text;
  EXPECT_LT(first, result.text.size() / 2) << result.text;
}

TEST_P(RoutingBySet, CyrillicPageComesBackInCyrillic) {
  // PP-OCR reads Cyrillic as confident Latin look-alikes ("Москва" as "MocKBa"): the capitals
  // lines hold only letters that have Latin twins, which PP reads with confidence and OSD cannot
  // judge in so few letters. The rest of the page shows it is Russian, and those lines too must
  // come back in Cyrillic, read as Russian.
  const std::vector<std::string> lines = {
      "Величественная и гадкая старость",
      "О повести Толстого о старом мерине",
      "Это картина трагедии старости и",
      "история двух душ, попавших в",
      "водоворот страданий и счастья.",
      "Мерин был красив, счастлив, богат.",
      "МОСКВА",
      "ТЕАТР",
      "КАРТА",
  };
  const LinesPage page = page_of_lines(lines);

  const OcrResult result = pipeline_for("auto", GetParam()).run(page.image);
  std::string expected, text;
  for (const auto& l : lines) expected += (expected.empty() ? "" : "\n") + l;
  ASSERT_FALSE(result.lines.empty());
  for (const auto& l : result.lines) {
    EXPECT_EQ(l.script, "Cyrillic") << l.text;
    EXPECT_EQ(l.language, "rus") << l.text;
  }
  EXPECT_LT(test::cer(expected, result.text), 0.15) << result.text;
}

TEST(LanguageRouting, CyrillicHandwritingIsReadAsCyrillic) {
  // The title and first lines of the shared Russian handwriting page. The default recognizer
  // reads them as confident Latin look-alikes ("cmapocmu" for старости), and Tesseract reads
  // them as English about as confidently as Russian: only the letters of PP's readings (no t, no
  // i) show the page is not in a Latin-script language.
  const auto path = test::shared_dir() / "eval" / "mdpbench_pages" / "img" / "ru_note_33.jpeg";
  const cv::Mat page = cv::imread(path.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(page.empty()) << path;
  const cv::Mat band = page(cv::Rect(0, 0, page.cols, std::min(page.rows, 560))).clone();
  const OcrResult result = pipeline_for("auto").run(band);
  std::map<std::string, size_t> letters_by_script;  // code points of the lines read in each script
  for (const auto& l : result.lines)
    for (const char c : l.text) letters_by_script[l.script] += (static_cast<unsigned char>(c) & 0xC0) != 0x80 && c != ' ';
  EXPECT_GT(letters_by_script["Cyrillic"], 150u) << result.text;
  EXPECT_GT(letters_by_script["Cyrillic"], 8 * letters_by_script["Latin"]) << result.text;
}

TEST(LanguageRouting, VietnamesePageIsReadWithItsLetters) {
  // The default recognizer knows ơ ư đ but not the letters with stacked or dot-below marks, and
  // reads Vietnamese lines confidently without them ("Trưng hc" for Trường học). The letters it
  // does read show the page is Vietnamese; Tesseract's vie model puts the others back. The
  // formula stays with PP, which reads π and α (vie reads them as letters).
  const std::vector<std::string> text = {
      "Hôm nay trời đẹp, chúng tôi đi học sớm.",
      "Trường học của em nằm bên bờ sông Hồng.",
      "Người Việt Nam rất thích uống cà phê sữa đá.",
      "Học sinh trả lời các câu hỏi trong đề kiểm tra.",
      "Mỗi buổi sáng, mẹ nấu phở cho cả nhà.",
  };
  const std::string formula = "sin(π − α) = sin α";
  std::vector<std::string> lines = text;
  lines.push_back(formula);
  const LinesPage page = page_of_lines(lines);

  const OcrResult result = pipeline_for("auto").run(page.image);
  std::string expected, got;
  for (size_t k = 0; k < text.size(); ++k) {
    const auto pieces = lines_at(result, {text[k], "Latin", "vie", page.bands[k].first, page.bands[k].second});
    ASSERT_FALSE(pieces.empty()) << text[k];
    for (const TextLine* l : pieces) {
      EXPECT_EQ(l->language, "vie") << l->text;
      EXPECT_EQ(l->script, "Latin") << l->text;
      got += (got.empty() ? "" : "\n") + l->text;
    }
    expected += (expected.empty() ? "" : "\n") + text[k];
  }
  EXPECT_LT(test::cer(expected, got), 0.08) << got;
  for (const TextLine* l : lines_at(result, {formula, "Latin", "eng", page.bands.back().first, page.bands.back().second}))
    EXPECT_NE(l->language, "vie") << l->text;
}

INSTANTIATE_TEST_SUITE_P(Sets, RoutingBySet, ::testing::Values("v4", "v6-small-v4det"), [](const auto& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

// A page all in a script the PP recognizer does not know (Korean print, which it reads as Han
// garbage at about 0.6 either way up, and whose lines the classifier turns at random): the page is
// not turned, and `auto` finds the page's script from the lines as the detector cut them.
TEST(LanguageRouting, KoreanPageIsNotTurnedAndReadsInHangul) {
  const test::TextRenderer renderer;
  const std::vector<std::string> rows = {"고객님께 감사의 말씀을 드립니다.", "주문하신 상품은 내일 오전에 배송됩니다.",
                                         "영수증을 잘 보관해 주시기 바랍니다.", "문의 사항은 고객센터로 연락해 주세요.",
                                         "다음에 또 방문해 주세요."};
  const test::Page page = test::compose_receipt(renderer, rows, 30, 720);
  for (const char* languages : {"kor", "auto"}) {
    const OcrResult result = pipeline_for(languages).run(page.image);
    EXPECT_EQ(result.page_rotation, 0) << languages;
    size_t hangul = 0;
    for (const auto& l : result.lines) hangul += l.script == "Hangul";
    EXPECT_GE(hangul, rows.size() - 1) << languages << ": " << result.text;
    // Tesseract's kor reads this print with some letter errors; a turned page or Han garbage is near 1.
    EXPECT_LT(test::cer(page.text, result.text), 0.4) << languages << ": " << result.text;
  }
}

TEST(LanguageRouting, ChineseAndEnglishDefaultNeverAsksTesseract) {
  // The default languages read a Korean line with the PP recognizer only: no Hangul comes back.
  const test::TextRenderer renderer;
  const test::Page page = test::render_line(renderer, "서울특별시 중구 세종대로", 32);
  const OcrResult result = pipeline_for("chi_sim+eng").run(page.image);
  for (const auto& l : result.lines) EXPECT_NE(l.script, "Hangul") << l.text;
}

TEST(LanguageRouting, MissingPackIsAClearError) {
  PipelineOptions options;
  options.model_dir = test::model_dir();
  options.languages = "ara+xyz";
  try {
    Pipeline p(options);
    FAIL() << "no error for the missing xyz pack";
  } catch (const LanguageError& e) {
    EXPECT_NE(std::string(e.what()).find("tesseract-ocr-xyz"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace edgeocr::ocr
