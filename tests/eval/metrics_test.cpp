// Eval scoring and dataset readers: IoU, one-to-one matching, CER, field counts, SROIE and
// EdgeOCR label formats (CRLF, blank lines, commas in transcripts, bad rows).
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>

#include "eval/dataset.h"
#include "eval/metrics.h"

namespace edgeocr::eval {
namespace {

ocr::Quad rect(float x, float y, float w, float h) {
  return {ocr::Point{x, y}, ocr::Point{x + w, y}, ocr::Point{x + w, y + h}, ocr::Point{x, y + h}};
}

TEST(Metrics, QuadIou) {
  EXPECT_NEAR(quad_iou(rect(0, 0, 10, 10), rect(0, 0, 10, 10)), 1.0, 1e-9);
  EXPECT_NEAR(quad_iou(rect(0, 0, 10, 10), rect(5, 0, 10, 10)), 50.0 / 150.0, 1e-6);
  EXPECT_EQ(quad_iou(rect(0, 0, 10, 10), rect(20, 0, 10, 10)), 0.0);
  // Rotated square (diamond) inside a square: intersection is the diamond itself.
  ocr::Quad diamond{ocr::Point{5, 0}, ocr::Point{10, 5}, ocr::Point{5, 10}, ocr::Point{0, 5}};
  EXPECT_NEAR(quad_iou(rect(0, 0, 10, 10), diamond), 0.5, 1e-6);
  // Counter-clockwise order gives the same answer; degenerate boxes give 0.
  ocr::Quad ccw{ocr::Point{0, 0}, ocr::Point{0, 10}, ocr::Point{10, 10}, ocr::Point{10, 0}};
  EXPECT_NEAR(quad_iou(ccw, rect(0, 0, 10, 10)), 1.0, 1e-9);
  EXPECT_EQ(quad_iou(rect(0, 0, 0, 10), rect(0, 0, 10, 10)), 0.0);
}

TEST(Metrics, OneToOneMatching) {
  // Two predictions overlap the same label: only the better one matches.
  std::vector<ocr::Quad> pred{rect(0, 0, 100, 20), rect(2, 0, 100, 20), rect(0, 50, 100, 20)};
  std::vector<ocr::Quad> label{rect(0, 0, 100, 20), rect(300, 300, 10, 10)};
  auto m = match_lines(pred, label);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].pred, 0u);
  EXPECT_EQ(m[0].label, 0u);
}

TEST(Metrics, EditDistanceAndNormalisation) {
  EXPECT_EQ(edit_distance(U"kitten", U"sitting"), 3u);
  EXPECT_EQ(edit_distance(U"", U"abc"), 3u);
  EXPECT_EQ(edit_distance(U"总金额", U"总金頟"), 1u);
  EXPECT_EQ(normalize_field("  SAM  SAM\tTRADING "), "SAM SAM TRADING");
}

TEST(Metrics, EngineStatsCounts) {
  Sample s;
  s.id = "x";
  s.has_lines = true;
  s.lines = {{rect(0, 0, 100, 20), "TOTAL 9.00"}, {rect(0, 40, 100, 20), "CASH"}};
  s.fields = {{"total", "9.00"}, {"date", "01/01/2020"}};
  ocr::OcrResult r;
  ocr::TextLine l1;
  l1.box = rect(1, 0, 100, 20);
  l1.text = "TOTAL 9.0O";
  ocr::TextLine l2;
  l2.box = rect(500, 500, 10, 10);
  l2.text = "noise";
  r.lines = {l1, l2};
  extract::ExtractionResult ex;
  extract::Field total;
  total.name = "total";
  total.found = true;
  total.value = "9.00";
  extract::Field date;
  date.name = "date";
  date.found = true;
  date.value = "02/01/2020";
  ex.fields = {total, date};
  EngineStats stats("t");
  stats.add(s, r, &ex, 0.5);
  EXPECT_EQ(stats.detection().tp, 1u);
  EXPECT_EQ(stats.detection().fp, 1u);
  EXPECT_EQ(stats.detection().fn, 1u);
  EXPECT_NEAR(stats.cer(), 1.0 / 10.0, 1e-9);
  EXPECT_EQ(stats.exact_line_accuracy(), 0.0);
  EXPECT_EQ(stats.fields().at("total").tp, 1u);
  EXPECT_EQ(stats.fields().at("date").fp, 1u);
  EXPECT_EQ(stats.fields().at("date").fn, 1u);
  EXPECT_NEAR(stats.fields_overall().f1(), 0.5, 1e-9);
  // Round trip through JSON (how a forked engine run reports back).
  EngineStats back = EngineStats::from_json(stats.to_json());
  EXPECT_EQ(back.detection().tp, 1u);
  EXPECT_NEAR(back.cer(), stats.cer(), 1e-12);
  EXPECT_EQ(back.seconds_percentile(50), 0.5);
  EXPECT_NE(format_table({stats}).find("det F1"), std::string::npos);
  // Case-folded comparison: a second receipt whose date differs from the label only in case.
  Sample s2 = s;
  s2.fields = {{"date", "05 MAR 2018"}};
  extract::ExtractionResult ex2;
  date.value = "05 Mar 2018";
  ex2.fields = {date};
  stats.add(s2, r, &ex2, 0.5);
  EXPECT_EQ(stats.fields().at("date").fn, 2u);
  EXPECT_EQ(stats.fields_overall_case_insensitive().tp, 2u);  // total 9.00, the case-folded date
  EXPECT_EQ(stats.fields_overall_case_insensitive().fn, 1u);  // 02/01/2020 is still wrong
  EXPECT_EQ(EngineStats::from_json(stats.to_json()).fields_overall_case_insensitive().tp, 2u);
}

TEST(Dataset, SroieBoxFormat) {
  auto lines = parse_sroie_boxes(
      "\xEF\xBB\xBF" "72,25,326,25,326,64,72,64,TAN WOON YANN\r\n\r\n"
      "110,144,383,144,383,163,110,163,NO.53 55,57 & 59, JALAN SAGU 18,\r\n  \n",
      "t.csv");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "TAN WOON YANN");
  EXPECT_EQ(lines[1].text, "NO.53 55,57 & 59, JALAN SAGU 18,");
  EXPECT_FLOAT_EQ(lines[1].box[2].x, 383);
  EXPECT_FLOAT_EQ(lines[1].box[2].y, 163);
  EXPECT_THROW(parse_sroie_boxes("1,2,3,TEXT\n", "bad.csv"), DatasetError);
  EXPECT_THROW(parse_sroie_boxes("1,2,3,4,5,6,x7,8,TEXT\n", "bad.csv"), DatasetError);
}

TEST(Dataset, EdgeocrLabelFormat) {
  Sample s;
  parse_edgeocr_label(
      R"({"lines":[{"box":[[0,0],[10,0],[10,5],[0,5]],"text":"合计 36.8"}],
          "fields":{"total_amount":"¥36.8","date":"2026-01-15"}})",
      "r.json", s);
  EXPECT_TRUE(s.has_lines);
  ASSERT_EQ(s.lines.size(), 1u);
  EXPECT_EQ(s.lines[0].text, "合计 36.8");
  EXPECT_EQ(s.fields.at("total_amount"), "¥36.8");
  Sample bad;
  EXPECT_THROW(parse_edgeocr_label("{", "b.json", bad), DatasetError);
  EXPECT_THROW(parse_edgeocr_label(R"({"lines":[{"box":[[0,0]],"text":"x"}]})", "b.json", bad),
               DatasetError);
}

TEST(Metrics, OrderFreeCharacterCounts) {
  // Order and whitespace do not matter; case, full-width forms and Arabic tashkeel are folded.
  EXPECT_EQ(char_bag("Total ＲＭ 1"), U"TOTALRM1");
  EXPECT_EQ(char_bag("كَتَبَ على"), U"كتبعلي");
  EXPECT_EQ(char_bag_overlap(char_bag("BA A"), char_bag("aab")), 3u);
  EXPECT_EQ(char_bag_overlap(char_bag("合计 36.8"), char_bag("36.8 合")), 5u);
  EXPECT_EQ(char_bag_overlap(char_bag("xyz"), char_bag("abc")), 0u);

  // Page text against all labelled lines (or the whole-image transcript), any order.
  Sample page;
  page.id = "p";
  page.has_lines = true;
  page.lines = {{rect(0, 0, 10, 5), "AB"}, {rect(0, 10, 10, 5), "CD"}};
  ocr::OcrResult got;
  got.lines.resize(2);
  got.lines[0].text = "dc";
  got.lines[0].box = rect(0, 10, 10, 5);
  got.lines[1].text = "ABX";
  got.lines[1].box = rect(0, 0, 10, 5);
  EngineStats stats("native");
  stats.add(page, got, nullptr, 0.1);
  Sample line;
  line.id = "l";
  line.text = "EF";
  ocr::OcrResult none;
  stats.add(line, none, nullptr, 0.1);
  EXPECT_EQ(stats.chars().tp, 4u);
  EXPECT_EQ(stats.chars().fp, 1u);  // X
  EXPECT_EQ(stats.chars().fn, 2u);  // E F
  const EngineStats back = EngineStats::from_json(stats.to_json());
  EXPECT_EQ(back.chars().tp, 4u);
  EXPECT_EQ(back.chars().fn, 2u);
}

TEST(Metrics, LineImageCerAndCharsPerLanguage) {
  // A line image is one line: its reading (pieces joined by spaces) against the transcript, after
  // the label conventions (tashkeel dropped, alif maqsura as ya, spaces collapsed).
  EXPECT_EQ(normalized_transcript("  كَتَبَ   على "), U"كتب علي");
  // Hamza and madda typed as combining marks are the precomposed letters (canonical equivalence),
  // also with tashkeel between letter and mark; a mark on a letter without a composed form stays.
  EXPECT_EQ(normalized_transcript("\u0627\u0654\u0628\u064A\u0647 \u0627\u0653\u062F\u0645 \u0633\u0627\u064E\u0654\u0644"),
            U"\u0623\u0628\u064A\u0647 \u0622\u062F\u0645 \u0633\u0623\u0644");
  EXPECT_EQ(normalized_transcript("\u0628\u0654"), U"\u0628\u0654");
  EXPECT_EQ(char_bag("\u0627\u0654 \u0648\u0654"), char_bag("\u0623\u0624"));
  EXPECT_EQ(language_group("ar_newspaper_21"), "ar");
  EXPECT_EQ(language_group("000"), "");
  EngineStats stats("native");
  Sample arabic;
  arabic.id = "ar_1";
  arabic.text = "كتب على";
  ocr::OcrResult read;
  read.lines.resize(2);
  read.lines[0].text = "كَتَبَ";
  read.lines[1].text = "علي";
  stats.add(arabic, read, nullptr, 0.1);
  Sample english;
  english.id = "en_1";
  english.text = "Hello";
  ocr::OcrResult typo;
  typo.lines.resize(1);
  typo.lines[0].text = "Hallo";
  stats.add(english, typo, nullptr, 0.1);
  EXPECT_EQ(stats.exact_line_accuracy(), 0.5);
  EXPECT_NEAR(stats.cer(), 1.0 / 12.0, 1e-9);  // one edit over 7 + 5 labelled characters
  ASSERT_EQ(stats.chars_by_group().size(), 2u);
  EXPECT_EQ(stats.chars_by_group().at("ar").f1(), 1.0);
  EXPECT_EQ(stats.chars_by_group().at("en").tp, 4u);
  const EngineStats back = EngineStats::from_json(stats.to_json());
  EXPECT_EQ(back.chars_by_group().at("en").fn, 1u);
  EXPECT_NE(format_table({stats}).find("char F1 % [ar]"), std::string::npos);
}

TEST(Dataset, LoadsBothLayoutsAndRejectsEmptyFolders) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("edgeocr_eval_ds_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "sroie" / "img");
  fs::create_directories(root / "sroie" / "box");
  fs::create_directories(root / "sroie" / "key");
  std::ofstream(root / "sroie" / "img" / "001.jpg") << "x";
  std::ofstream(root / "sroie" / "box" / "001.csv") << "0,0,10,0,10,5,0,5,HELLO\n";
  std::ofstream(root / "sroie" / "key" / "001.json") << R"({"total": "1.00"})";
  auto ds = load_dataset(root / "sroie");
  EXPECT_EQ(ds.layout, DatasetLayout::sroie);
  ASSERT_EQ(ds.samples.size(), 1u);
  EXPECT_EQ(ds.samples[0].fields.at("total"), "1.00");

  fs::create_directories(root / "own");
  std::ofstream(root / "own" / "a.png") << "x";
  std::ofstream(root / "own" / "a.json") << R"({"fields":{"total_amount":"¥36.8"}})";
  std::ofstream(root / "own" / "unlabelled.png") << "x";
  auto own = load_dataset(root / "own");
  EXPECT_EQ(own.layout, DatasetLayout::edgeocr);
  ASSERT_EQ(own.samples.size(), 1u);
  EXPECT_FALSE(own.samples[0].has_lines);

  // Line images (tesstrain convention) and the id-prefix filter.
  fs::create_directories(root / "lines" / "lines");
  std::ofstream(root / "lines" / "lines" / "ar_1.png") << "x";
  std::ofstream(root / "lines" / "lines" / "ar_1.gt.txt") << "مرحبا بكم\n";
  std::ofstream(root / "lines" / "lines" / "en_1.png") << "x";
  std::ofstream(root / "lines" / "lines" / "en_1.gt.txt") << "Hello\r\n";
  std::ofstream(root / "lines" / "lines" / "no_image.gt.txt") << "x\n";
  auto lines = load_dataset(root / "lines");
  EXPECT_EQ(lines.layout, DatasetLayout::line_images);
  ASSERT_EQ(lines.samples.size(), 2u);
  EXPECT_EQ(lines.samples[0].id, "ar_1");
  EXPECT_EQ(lines.samples[0].text, "مرحبا بكم");
  EXPECT_EQ(lines.samples[1].text, "Hello");
  auto only_en = load_dataset(root / "lines", 0, "en_");
  ASSERT_EQ(only_en.samples.size(), 1u);
  EXPECT_EQ(only_en.samples[0].id, "en_1");
  EXPECT_THROW(load_dataset(root / "lines", 0, "zz_"), DatasetError);

  fs::create_directories(root / "empty");
  EXPECT_THROW(load_dataset(root / "empty"), DatasetError);
  EXPECT_THROW(load_dataset(root / "missing"), DatasetError);
  fs::remove_all(root);
}

}  // namespace
}  // namespace edgeocr::eval
