#include <gtest/gtest.h>

#include "recorded_answers.h"
#include "vlm/answer_parser.h"

namespace edgeocr::vlm {
namespace {

namespace answers = testing::answers;

// 3000x1000 original, sent at 2048x683 (the 2048 cap).
constexpr ImageGeometry kResized{3000, 1000, 2048, 683};
constexpr ImageGeometry kNative{800, 600, 800, 600};

// The parsed answer in the JSON form the server sends.
nlohmann::json answer_json(const PromptRequest& request, std::string_view answer, const ImageGeometry& geometry) {
  return engine::to_json(parse_answer(request, answer, geometry));
}

void expect_box(const nlohmann::json& box, float x1, float y1, float x2, float y2) {
  ASSERT_EQ(box.size(), 4u);
  const float expected[4][2] = {{x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(box[i][0].get<double>(), expected[i][0], 1e-3) << "corner " << i;
    EXPECT_NEAR(box[i][1].get<double>(), expected[i][1], 1e-3) << "corner " << i;
  }
}

TEST(Coordinates, NormalizedThousandthsToPixels) {
  const auto p = model_to_pixels(500, 500, kNative);
  EXPECT_FLOAT_EQ(p.x, 400.0f);
  EXPECT_FLOAT_EQ(p.y, 300.0f);
  const auto q = model_to_pixels(250, 1000, kNative);
  EXPECT_FLOAT_EQ(q.x, 200.0f);
  EXPECT_FLOAT_EQ(q.y, 600.0f);
  // Sent 2048x683: x=100 -> 204.8 px sent -> 300 px original; y=50 -> 34.15 sent -> 50 original.
  const auto r = model_to_pixels(100, 50, kResized);
  EXPECT_NEAR(r.x, 300.0, 1e-3);
  EXPECT_NEAR(r.y, 50.0, 1e-3);
  const auto clamped = model_to_pixels(1200, -5, kNative);
  EXPECT_FLOAT_EQ(clamped.x, 800.0f);
  EXPECT_FLOAT_EQ(clamped.y, 0.0f);
}

void expect_receipt_lines(const nlohmann::json& out) {
  EXPECT_FALSE(out["parse_error"].get<bool>());
  ASSERT_EQ(out["lines"].size(), 3u);
  const auto& lines = out["lines"];
  EXPECT_EQ(lines[0]["text"], "老王面馆");
  expect_box(lines[0]["box"], 300, 50, 1800, 120);
  EXPECT_EQ(lines[1]["text"], "合计 ¥36.8");
  expect_box(lines[1]["box"], 300, 800, 1500, 860);
  EXPECT_EQ(lines[2]["text"], "2026-01-15");
  expect_box(lines[2]["box"], 1650, 805, 2700, 855);
  EXPECT_EQ(lines[1]["row"], 1);
  EXPECT_EQ(lines[2]["row"], 1);  // same row as the total, to its right
  EXPECT_EQ(lines[2]["order"], 2);
  EXPECT_EQ(out["text"], "老王面馆\n合计 ¥36.8 2026-01-15");
  EXPECT_EQ(out["width"], 3000);
  EXPECT_EQ(out["height"], 1000);
}

TEST(Spotting, TaggedAnswer) {
  PromptRequest r;
  expect_receipt_lines(answer_json(r, answers::kSpotTagged, kResized));
}

TEST(Spotting, TaglessAnswerFromServersSkippingSpecialTokens) {
  PromptRequest r;
  expect_receipt_lines(answer_json(r, answers::kSpotTagless, kResized));
}

TEST(Spotting, JsonAnswerOfVersion15) {
  PromptRequest r;
  expect_receipt_lines(answer_json(r, answers::kSpotJsonV15, kResized));
}

TEST(Spotting, ParenthesesInsideTextAreKept) {
  const auto lines = parse_spotting("<ref>Tel (03) 1234</ref><quad>(0,0),(500,100)</quad>", kNative);
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "Tel (03) 1234");
}

TEST(Spotting, SwappedCornersMakeAnUprightBox) {
  const auto lines = parse_spotting("A(500,100),(0,0)", kNative);
  ASSERT_TRUE(lines);
  EXPECT_FLOAT_EQ((*lines)[0].box[0].x, 0.0f);
  EXPECT_FLOAT_EQ((*lines)[0].box[2].x, 400.0f);
  EXPECT_FLOAT_EQ((*lines)[0].box[2].y, 60.0f);
}

TEST(Spotting, AnswerWithoutCoordinatesIsReturnedRawWithParseError) {
  PromptRequest r;
  const auto out = answer_json(r, answers::kNoCoordinates, kNative);
  EXPECT_TRUE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["text"], answers::kNoCoordinates);
  EXPECT_EQ(out["raw"], answers::kNoCoordinates);
  EXPECT_TRUE(out["lines"].empty());
}

TEST(Parse, MarkdownWithFigure) {
  PromptRequest r;
  r.task = Task::parse;
  const auto out = answer_json(r, answers::kParseMarkdown, kNative);
  EXPECT_FALSE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["markdown"],
            "# 老王面馆\n\n<table><tr><td>牛肉面</td><td>18.0</td></tr></table>\n\n店铺标志\n\n合计：¥36.8");
  EXPECT_EQ(out["text"], out["markdown"]);
  ASSERT_EQ(out["figures"].size(), 1u);
  EXPECT_EQ(out["figures"][0]["caption"], "店铺标志");
  expect_box(out["figures"][0]["box"], 8, 12, 160, 90);
}

TEST(Extraction, FencedJsonFollowedByProse) {
  PromptRequest r;
  r.task = Task::extract;
  r.fields = {"总金额", "日期"};
  const auto out = answer_json(r, answers::kExtractFenced, kNative);
  EXPECT_FALSE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["fields"]["总金额"], "¥36.8");
  EXPECT_EQ(out["fields"]["日期"], "2026-01-15");
}

TEST(Extraction, SingleQuotesNoneAndTrailingComma) {
  PromptRequest r;
  r.task = Task::extract;
  r.fields = {"total", "date", "tax", "tip"};
  const auto out = answer_json(r, answers::kExtractSingleQuotes, kNative);
  EXPECT_FALSE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["fields"]["total"], "36.80");
  EXPECT_EQ(out["fields"]["date"], "15/01/2026");
  EXPECT_TRUE(out["fields"]["tax"].is_null());
  EXPECT_TRUE(out["fields"]["tip"].is_null());  // asked, not answered
}

TEST(Extraction, SingleKeyAnsweredWithTheBareValue) {
  PromptRequest r;
  r.task = Task::extract;
  r.fields = {"总金额"};
  const auto out = answer_json(r, answers::kExtractSingleValue, kNative);
  EXPECT_FALSE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["fields"]["总金额"], "¥36.8");
}

TEST(Extraction, TruncatedJsonIsAParseErrorWithTheRawAnswer) {
  PromptRequest r;
  r.task = Task::extract;
  r.fields = {"total", "date"};
  const auto out = answer_json(r, answers::kExtractTruncated, kNative);
  EXPECT_TRUE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["raw"], answers::kExtractTruncated);
  EXPECT_EQ(out["text"], "{\"total\": \"36.8\", \"date\":");  // trimmed; raw kept as is
  EXPECT_TRUE(out["fields"]["total"].is_null());
}

TEST(Answers, TranslationVqaTableFormulaText) {
  PromptRequest r;
  r.task = Task::translate;
  auto out = answer_json(r, answers::kTranslation, kNative);
  EXPECT_EQ(out["translation"], answers::kTranslation);
  EXPECT_EQ(out["text"], answers::kTranslation);
  r.task = Task::vqa;
  out = answer_json(r, answers::kVqaAnswer, kNative);
  EXPECT_EQ(out["answer"], answers::kVqaAnswer);
  r.task = Task::table;
  out = answer_json(r, answers::kTableHtml, kNative);
  EXPECT_EQ(out["html"], answers::kTableHtml);
  r.task = Task::formula;
  out = answer_json(r, answers::kFormula, kNative);
  EXPECT_EQ(out["latex"], answers::kFormula);
  r.task = Task::text;
  out = answer_json(r, answers::kText, kNative);
  EXPECT_EQ(out["text"], answers::kText);
  EXPECT_FALSE(out["parse_error"].get<bool>());
}

TEST(Repetition, LoopingTailIsTrimmedToOneCopy) {
  std::string looping = "合计 ¥36.8\n";
  for (int i = 0; i < 60; ++i) looping += "谢谢惠顾 ";
  looping += "谢谢";  // cut mid-repeat by max_tokens
  EXPECT_EQ(trim_repeated_tail(looping), "合计 ¥36.8\n谢谢惠顾 ");
  PromptRequest r;
  r.task = Task::text;
  const auto out = answer_json(r, looping, kNative);
  EXPECT_TRUE(out["repetition_trimmed"].get<bool>());
  EXPECT_EQ(out["raw"], looping);
}

TEST(Repetition, OrdinaryTextIsUntouched) {
  const std::string table = "| a | b |\n|---|---|\n| 1 | 2 |\n\nThe end...";
  EXPECT_EQ(trim_repeated_tail(table), table);
  EXPECT_EQ(trim_repeated_tail("ha ha ha"), "ha ha ha");
}

TEST(LenientJson, Cases) {
  EXPECT_EQ((*parse_json_lenient("{\"a\": 1}"))["a"], 1);
  EXPECT_EQ((*parse_json_lenient("Sure! ```json\n{\"a\": [1, 2]}\n``` done"))["a"][1], 2);
  EXPECT_EQ((*parse_json_lenient("result: {'a': 'it\\'s', 'b': True}"))["a"], "it's");
  EXPECT_EQ((*parse_json_lenient("{'q': 'say \"hi\"'}"))["q"], "say \"hi\"");
  EXPECT_FALSE(parse_json_lenient("no json here"));
  EXPECT_FALSE(parse_json_lenient("{\"a\": "));
}

}  // namespace
}  // namespace edgeocr::vlm
