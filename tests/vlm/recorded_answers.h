// Model answers in HunyuanOCR's documented output formats (see ../shared/refs/hunyuanocr.md),
// written for the stand-in server: well-formed, tag-less, v1.5 JSON, malformed and looping.
#pragma once

#include <string>

namespace edgeocr::vlm::testing::answers {

// Spotting, v1.0 with special tokens kept. Coordinates: 0..1000 of the image as sent.
inline const std::string kSpotTagged =
    "<ref>老王面馆</ref><quad>(100,50),(600,120)</quad>"
    "<ref>合计 ¥36.8</ref><quad>(100,800),(500,860)</quad>"
    "<ref>2026-01-15</ref><quad>(550,805),(900,855)</quad>";

// The same answer from a server that skips special tokens.
inline const std::string kSpotTagless =
    "老王面馆(100,50),(600,120)合计 ¥36.8(100,800),(500,860)2026-01-15(550,805),(900,855)";

// v1.5 JSON spotting, fenced.
inline const std::string kSpotJsonV15 =
    "```json\n[{\"box\": [100, 50, 600, 120], \"text\": \"老王面馆\"},\n"
    " {\"box\": [100, 800, 500, 860], \"text\": \"合计 ¥36.8\"},\n"
    " {\"box\": [550, 805, 900, 855], \"text\": \"2026-01-15\"}]\n```";

inline const std::string kParseMarkdown =
    "# 老王面馆\n\n<table><tr><td>牛肉面</td><td>18.0</td></tr></table>\n\n"
    "<pFig>店铺标志</pFig><quad>(10,20),(200,150)</quad>\n\n合计：¥36.8";

inline const std::string kTableHtml = "<table><tr><td>牛肉面</td><td>18.0</td></tr></table>";
inline const std::string kFormula = "$$E = mc^2$$";
inline const std::string kText = "老王面馆\n合计 ¥36.8";

inline const std::string kExtractFenced =
    "```json\n{\"总金额\": \"¥36.8\", \"日期\": \"2026-01-15\"}\n```\n以上是图片中的字段内容。";
inline const std::string kExtractSingleQuotes = "Here you go: {'total': '36.80', 'date': '15/01/2026', 'tax': None,}";
inline const std::string kExtractSingleValue = "¥36.8";
inline const std::string kExtractTruncated = "{\"total\": \"36.8\", \"date\": ";

inline const std::string kTranslation = "Lao Wang Noodle House\nBeef noodles 18.0\nTotal ¥36.8";
inline const std::string kVqaAnswer = "The total amount is ¥36.8.";
inline const std::string kNoCoordinates = "I cannot find any text in this picture.";

}  // namespace edgeocr::vlm::testing::answers
