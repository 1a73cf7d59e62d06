// Backend selection and hybrid routing: which requests reach the VLM, how answers merge with
// the native result, and the native fallback ("vlm_unavailable") when the VLM is down.
#include <gtest/gtest.h>

#include "recorded_answers.h"
#include "stand_in_server.h"
#include "vlm/backend.h"

namespace edgeocr::vlm {
namespace {

using namespace std::chrono_literals;
using testing::Reply;
using testing::StandInServer;
namespace answers = testing::answers;

// A native reading with these lines (text, confidence), one per row.
engine::OcrResponse native_reading(std::vector<std::pair<std::string, float>> lines) {
  engine::OcrResponse out;
  out.width = 800;
  out.height = 600;
  int i = 0;
  for (const auto& [t, c] : lines) {
    ocr::TextLine line;
    line.text = t;
    line.confidence = c;
    const float top = static_cast<float>(i * 20);
    line.box = {ocr::Point{0, top}, {100, top}, {100, top + 18}, {0, top + 18}};
    line.row = line.order = i;
    out.lines.push_back(line);
    out.text += (i ? "\n" : "") + t;
    ++i;
  }
  return out;
}

NativeRun confident() { return {native_reading({{"TOTAL 36.80", 0.97}, {"CASH 50.00", 0.95}}), false}; }
NativeRun doubtful() { return {native_reading({{"T0TAL 3б.8O", 0.41}, {"CAS4 5O.OO", 0.52}}), false}; }

cv::Mat page() { return cv::Mat(600, 800, CV_8UC3, cv::Scalar(255, 255, 255)); }

// The router's answer on a blank page, in the JSON form the server sends.
nlohmann::json run(Router& router, const VlmRequest& request, const NativeRunner& native) {
  return engine::to_json(router.run(page(), request, native));
}

VlmSettings hybrid_settings(const std::string& url) {
  VlmSettings s;
  s.backend = BackendKind::hybrid;
  s.client.base_url = url;
  s.client.timeout = 2s;
  s.client.backoff_base = 10ms;
  s.min_confidence = 0.6;
  return s;
}

std::string dead_url() {
  int port = 0;
  {
    StandInServer gone;
    port = gone.port();
  }
  return "http://127.0.0.1:" + std::to_string(port) + "/v1";
}

TEST(HybridDecision, Rules) {
  VlmSettings s;
  EXPECT_FALSE(decide_route(make_request("spot"), confident(), s).use_vlm);
  EXPECT_EQ(decide_route(make_request("spot"), confident(), s).reason, "native");

  const auto low = decide_route(make_request("spot"), doubtful(), s);
  EXPECT_TRUE(low.use_vlm);
  EXPECT_EQ(low.reason, "low_confidence");
  EXPECT_EQ(low.vlm_request.task, Task::spot);

  EXPECT_EQ(decide_route(make_request("spot"), {native_reading({}), false}, s).reason, "low_confidence");

  s.route_low_confidence = false;
  EXPECT_FALSE(decide_route(make_request("spot"), doubtful(), s).use_vlm);
  s.route_low_confidence = true;
  s.min_confidence = 0.4;
  EXPECT_FALSE(decide_route(make_request("spot"), doubtful(), s).use_vlm);

  const auto tr = decide_route(make_request("", "translate this menu"), confident(), s);
  EXPECT_TRUE(tr.use_vlm);
  EXPECT_EQ(tr.reason, "translation");
  EXPECT_EQ(tr.vlm_request.task, Task::translate);
  EXPECT_EQ(decide_route(make_request("translate"), confident(), s).reason, "translation");

  NativeRun unsupported = confident();
  unsupported.unsupported_instruction = true;
  const auto q = decide_route(make_request("", "这家店几点关门？"), unsupported, s);
  EXPECT_TRUE(q.use_vlm);
  EXPECT_EQ(q.reason, "unsupported_instruction");
  EXPECT_EQ(q.vlm_request.task, Task::vqa);

  // The native extractor answered: stay native even when the page is doubtful.
  EXPECT_FALSE(decide_route(make_request("", "提取总金额"), doubtful(), VlmSettings{}).use_vlm);
  EXPECT_EQ(decide_route(make_request("table"), confident(), s).reason, "task_not_native");
}

TEST(HybridRouter, ConfidentPageNeverCallsTheVlm) {
  StandInServer server;
  VlmMetrics metrics;
  Router router(hybrid_settings(server.base_url()), &metrics);
  const auto out = run(router, make_request("spot"), [] { return confident(); });
  EXPECT_EQ(server.request_count(), 0);
  EXPECT_EQ(out["text"], "TOTAL 36.80\nCASH 50.00");
  EXPECT_EQ(out["route"]["vlm"], false);
  EXPECT_EQ(out["backend"], "hybrid");
}

TEST(HybridRouter, LowConfidencePageIsReadByTheVlm) {
  StandInServer server;
  server.expect(testing::expect_request("检测并识别图片中的文字，将文本坐标格式化输出。", 800, 600));
  server.script({testing::reply_content("<ref>TOTAL 36.80</ref><quad>(0,0),(500,100)</quad>")});
  VlmMetrics metrics;
  Router router(hybrid_settings(server.base_url()), &metrics);
  const auto out = run(router, make_request("spot"), [] { return doubtful(); });
  EXPECT_EQ(server.violations().size(), 0u);
  EXPECT_EQ(out["text"], "TOTAL 36.80");
  ASSERT_EQ(out["lines"].size(), 1u);
  EXPECT_FLOAT_EQ(out["lines"][0]["box"][2][0].get<float>(), 400.0f);
  EXPECT_FLOAT_EQ(out["lines"][0]["box"][2][1].get<float>(), 60.0f);
  EXPECT_EQ(out["route"]["reason"], "low_confidence");
  EXPECT_NEAR(out["route"]["native_mean_confidence"].get<double>(), 0.465, 1e-6);
}

TEST(HybridRouter, LowConfidenceWithUnparseableVlmAnswerKeepsNativeLines) {
  StandInServer server;
  server.script({testing::reply_content(answers::kNoCoordinates)});
  VlmMetrics metrics;
  Router router(hybrid_settings(server.base_url()), &metrics);
  const auto out = run(router, make_request("spot"), [] { return doubtful(); });
  EXPECT_TRUE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["vlm_raw"], answers::kNoCoordinates);
  EXPECT_EQ(out["lines"].size(), 2u);
  EXPECT_EQ(out["text"], "T0TAL 3б.8O\nCAS4 5O.OO");
}

TEST(HybridRouter, TranslationAnswerBecomesTextNativeLinesStay) {
  StandInServer server;
  server.expect(testing::expect_request("First extract the text, then translate the text content into English. If it is a document, "
                           "ignore the header and footer. Formulas should be represented in LaTeX format, and tables "
                           "should be represented in HTML format."));
  server.script({testing::reply_content(answers::kTranslation)});
  VlmMetrics metrics;
  Router router(hybrid_settings(server.base_url()), &metrics);
  const auto out = run(router, make_request("", "translate this menu"), [] { return confident(); });
  EXPECT_EQ(server.violations().size(), 0u);
  EXPECT_EQ(out["text"], answers::kTranslation);
  EXPECT_EQ(out["translation"], answers::kTranslation);
  EXPECT_EQ(out["ocr_text"], "TOTAL 36.80\nCASH 50.00");
  EXPECT_EQ(out["lines"].size(), 2u);
  EXPECT_EQ(out["route"]["reason"], "translation");
  EXPECT_NE(metrics.prometheus_text().find("edgeocr_vlm_routes_total{reason=\"translation\",vlm=\"true\"} 1"),
            std::string::npos);
}

TEST(HybridRouter, UnsupportedInstructionIsAskedAsAQuestion) {
  StandInServer server;
  server.expect(testing::expect_request("这家店几点关门？"));
  server.script({testing::reply_content("晚上十点。")});
  VlmMetrics metrics;
  Router router(hybrid_settings(server.base_url()), &metrics);
  const auto out = run(router, make_request("", "这家店几点关门？"), [] {
    NativeRun n = confident();
    n.unsupported_instruction = true;
    return n;
  });
  EXPECT_EQ(server.violations().size(), 0u);
  EXPECT_EQ(out["answer"], "晚上十点。");
  EXPECT_EQ(out["text"], "晚上十点。");
  EXPECT_EQ(out["route"]["reason"], "unsupported_instruction");
}

TEST(HybridRouter, VlmDownReturnsNativeMarkedUnavailable) {
  VlmMetrics metrics;
  VlmSettings s = hybrid_settings(dead_url());
  s.client.max_attempts = 2;
  Router router(s, &metrics);
  const auto out = run(router, make_request("", "translate this menu"), [] { return confident(); });
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_EQ(out["text"], "TOTAL 36.80\nCASH 50.00");
  EXPECT_FALSE(out["vlm_error"].get<std::string>().empty());
  EXPECT_EQ(metrics.requests("translate", "unavailable"), 1u);
}

TEST(HybridRouter, OpenBreakerReturnsNativeWithoutCallingTheServer) {
  StandInServer server;
  server.set_fallback(testing::reply_status(503));
  VlmSettings s = hybrid_settings(server.base_url());
  s.client.max_attempts = 1;
  s.client.breaker_failure_threshold = 1;
  s.client.breaker_cool_down = 60s;
  VlmMetrics metrics;
  Router router(s, &metrics);
  auto out = run(router, make_request("spot"), [] { return doubtful(); });
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_EQ(server.request_count(), 1);
  out = run(router, make_request("spot"), [] { return doubtful(); });
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_NE(out["vlm_error"].get<std::string>().find("circuit breaker"), std::string::npos);
  EXPECT_EQ(out["text"], "T0TAL 3б.8O\nCAS4 5O.OO");
  EXPECT_EQ(server.request_count(), 1);
}

TEST(BackendModes, EveryModeGivesText) {
  StandInServer server;
  server.set_fallback(testing::reply_content(answers::kSpotTagged));
  for (const auto kind : {BackendKind::native, BackendKind::openai, BackendKind::hybrid}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    VlmSettings s = hybrid_settings(server.base_url());
    s.backend = kind;
    VlmMetrics metrics;
    Router router(s, &metrics);
    const auto out = run(router, make_request(""), [] { return doubtful(); });
    ASSERT_TRUE(out["text"].is_string());
    EXPECT_FALSE(out["text"].get<std::string>().empty());
    EXPECT_EQ(router.vlm() == nullptr, kind == BackendKind::native);
  }
}

TEST(BackendModes, OpenAiModeFallsBackToNativeOnlyWhenGivenARunner) {
  VlmSettings s = hybrid_settings(dead_url());
  s.backend = BackendKind::openai;
  s.client.max_attempts = 1;
  VlmMetrics metrics;
  Router router(s, &metrics);
  const auto out = run(router, make_request("spot"), [] { return confident(); });
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_EQ(out["text"], "TOTAL 36.80\nCASH 50.00");
  EXPECT_THROW(run(router, make_request("spot"), NativeRunner{}), VlmError);
}

TEST(BackendModes, NativeModeNeverCallsTheVlm) {
  StandInServer server;
  VlmSettings s = hybrid_settings(server.base_url());
  s.backend = BackendKind::native;
  VlmMetrics metrics;
  Router router(s, &metrics);
  const auto out = run(router, make_request("", "translate this menu"), [] { return doubtful(); });
  EXPECT_EQ(server.request_count(), 0);
  EXPECT_EQ(out["backend"], "native");
}

}  // namespace
}  // namespace edgeocr::vlm
