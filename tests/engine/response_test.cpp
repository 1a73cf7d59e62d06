// The engine response's one JSON form: the keys README's API section documents, for native
// images, documents, VLM answers and hybrid routes, as the reply and as the archived result.
#include <set>

#include <gtest/gtest.h>

#include "engine/response.h"
#include "ocr/json.h"

namespace edgeocr::engine {
namespace {

using json = nlohmann::json;

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

ocr::OcrResult receipt_reading() {
  ocr::OcrResult r;
  r.width = 640;
  r.height = 480;
  r.page_rotation = 90;
  r.text = "TOTAL 36.80\nCASH";
  ocr::TextLine total;
  total.text = "TOTAL 36.80";
  total.confidence = 0.91234f;
  total.box = {ocr::Point{10.04f, 20}, {200, 20}, {200, 40}, {10.04f, 40}};
  total.words = {{"TOTAL", 0.9f, total.box}, {"36.80", 0.92f, total.box}};
  total.script = "Latin";
  total.language = "eng";
  ocr::TextLine cash;
  cash.text = "CASH";
  cash.confidence = 0.8f;
  cash.row = cash.order = 1;
  r.lines = {total, cash};
  r.timings = {1.234, 20.5, 3, 40.25, 0.5, 65.49};
  return r;
}

TEST(ResponseJson, NativeReadingIsTheOcrResultsJson) {
  const ocr::OcrResult reading = receipt_reading();
  const json j = to_json(to_response(reading));
  EXPECT_EQ(j, ocr::to_json(reading));
  EXPECT_EQ(keys(j), (std::set<std::string>{"text", "lines", "width", "height", "page_rotation", "timings_ms"}));
  EXPECT_EQ(j["lines"][0]["words"][1]["text"], "36.80");
  EXPECT_EQ(j["lines"][0]["script"], "Latin");
  EXPECT_FALSE(j["lines"][1].contains("script"));
}

TEST(ResponseJson, ReplyNamesRequestRecordAndQueueWaitArchivedCopyHasNoRecordId) {
  OcrResponse r = to_response(receipt_reading());
  r.queue_wait_ms = 12.5;
  r.request_id = "req-1";
  json reply = to_json(r, JsonForm::reply);
  EXPECT_EQ(reply["request_id"], "req-1");
  ASSERT_TRUE(reply.contains("record_id"));
  EXPECT_TRUE(reply["record_id"].is_null());
  EXPECT_EQ(reply["timings_ms"]["queue_wait"], 12.5);
  EXPECT_EQ(reply["timings_ms"]["rec"], 40.25);

  const json archived = to_json(r, JsonForm::archived);
  EXPECT_FALSE(archived.contains("record_id"));
  EXPECT_EQ(archived["request_id"], "req-1");

  r.record_id = "0b5a";
  EXPECT_EQ(to_json(r, JsonForm::reply)["record_id"], "0b5a");
}

TEST(ResponseJson, ParseAndExtraction) {
  OcrResponse r = to_response(receipt_reading());
  r.markdown = "TOTAL 36.80\n";
  extract::ExtractionResult extraction;
  extraction.schema = "receipt";
  extract::Field total;
  total.name = "total";
  total.type = extract::ValueType::money;
  total.found = true;
  total.value = "36.80";
  total.display = "36.80";
  total.normalized = "36.80";
  extraction.fields.push_back(total);
  r.fields = std::map<std::string, json>{{"total", "36.80"}, {"date", nullptr}};
  r.extraction = extraction;
  const json j = to_json(r);
  EXPECT_EQ(j["markdown"], "TOTAL 36.80\n");
  EXPECT_EQ(j["fields"], (json{{"total", "36.80"}, {"date", nullptr}}));
  EXPECT_EQ(j["extraction"], extract::to_json(extraction));
  EXPECT_EQ(j["extraction"]["details"]["total"]["type"], "money");
}

TEST(ResponseJson, DocumentHasPagesNotLines) {
  OcrResponse doc;
  doc.pages.emplace();
  for (int n : {1, 2}) {
    OcrResponse page = to_response(receipt_reading());
    page.page = n;
    doc.pages->push_back(page);
  }
  doc.text = "a\fb";
  doc.timings = ocr::StageTimings{0, 1, 0, 2, 0, 3};
  doc.fields = std::map<std::string, json>{{"total", "36.80"}};
  const json j = to_json(doc);
  EXPECT_EQ(keys(j), (std::set<std::string>{"text", "pages", "page_count", "timings_ms", "fields"}));
  EXPECT_EQ(j["page_count"], 2);
  EXPECT_EQ(j["pages"][1]["page"], 2);
  EXPECT_EQ(j["pages"][1]["lines"].size(), 2u);
  EXPECT_EQ(j["pages"][0]["width"], 640);
}

TEST(ResponseJson, VlmAnswerAndHybridRoute) {
  OcrResponse r;
  r.backend = "vlm";
  r.text = "# Menu";
  r.width = 800;
  r.height = 600;
  r.raw = "# Menu<pFig>logo</pFig>";
  r.parse_error = false;
  r.repetition_trimmed = false;
  r.markdown = "# Menu";
  r.figures = std::vector<Figure>{{"logo", std::nullopt}, {"map", ocr::Quad{ocr::Point{1, 2}, {3, 2}, {3, 4}, {1, 4}}}};
  VlmCall call;
  call.model = "hunyuan";
  call.task = "parse";
  call.prompt_language = "zh";
  call.attempts = 2;
  call.finish_reason = "stop";
  r.vlm = call;
  json j = to_json(r);
  EXPECT_EQ(keys(j), (std::set<std::string>{"text", "lines", "width", "height", "markdown", "backend", "raw",
                                            "parse_error", "repetition_trimmed", "figures", "vlm"}));
  EXPECT_TRUE(j["figures"][0]["box"].is_null());
  EXPECT_EQ(j["figures"][1]["box"][2], (json{3, 4}));
  EXPECT_EQ(j["vlm"]["attempts"], 2);
  EXPECT_FALSE(j["vlm"].contains("usage"));

  r.vlm->usage = VlmCall::Usage{100, 20};
  r.truncated = true;
  r.route = Route{true, "low_confidence", 0.5};
  j = to_json(r);
  EXPECT_EQ(j["vlm"]["usage"], (json{{"prompt_tokens", 100}, {"completion_tokens", 20}}));
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["route"], (json{{"vlm", true}, {"reason", "low_confidence"}, {"native_mean_confidence", 0.5}}));

  OcrResponse fallback = to_response(receipt_reading());
  fallback.vlm_error = "connection refused";
  j = to_json(fallback);
  EXPECT_EQ(j["vlm_unavailable"], true);
  EXPECT_EQ(j["vlm_error"], "connection refused");
  EXPECT_FALSE(j.contains("truncated"));
  EXPECT_FALSE(j.contains("route"));
}

}  // namespace
}  // namespace edgeocr::engine
