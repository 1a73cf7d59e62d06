// The VLM backend against the stand-in server: request shape per task, answers, retries,
// Retry-After, timeouts, in-flight cap, circuit breaker, metrics, API key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "recorded_answers.h"
#include "stand_in_server.h"
#include "settings/cli.h"
#include "vlm/backend.h"

namespace edgeocr::vlm {
namespace {

using namespace std::chrono_literals;
using testing::Reply;
using testing::StandInServer;
namespace answers = testing::answers;

cv::Mat receipt_image(int w = 3000, int h = 1000) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(m, "TOTAL 36.80", {w / 10, h / 2}, cv::FONT_HERSHEY_SIMPLEX, 3.0, cv::Scalar(0, 0, 0), 5);
  return m;
}

Reply answer(std::string content) {
  Reply r;
  r.content = std::move(content);
  return r;
}

Reply status(int code, std::optional<std::string> retry_after = std::nullopt) {
  Reply r;
  r.status = code;
  r.retry_after = std::move(retry_after);
  return r;
}

VlmSettings settings_for(const StandInServer& server) {
  VlmSettings s;
  s.backend = BackendKind::openai;
  s.client.base_url = server.base_url();
  s.client.timeout = 5s;
  s.client.backoff_base = 20ms;
  s.client.backoff_cap = 200ms;
  return s;
}

std::string no_violations(const StandInServer& server) {
  std::string all;
  for (const auto& v : server.violations()) all += v + "; ";
  return all;
}

struct TaskCase {
  std::string task, instruction;
  std::vector<std::string> fields;
  std::string expected_prompt;
  std::string recorded_answer;
  std::string result_key;  // a key the parsed result must have
};

TEST(VlmBackendTasks, EveryTaskSendsItsDocumentedPromptAndParsesTheAnswer) {
  const std::vector<TaskCase> cases = {
      {"spot", "", {}, "检测并识别图片中的文字，将文本坐标格式化输出。", answers::kSpotTagged, "lines"},
      {"text", "", {}, "提取图中的文字。", answers::kText, "text"},
      {"parse", "", {},
       "提取文档图片中正文的所有信息用 markdown 格式表示，其中页眉、页脚部分忽略，表格用 html 格式表达，"
       "文档中公式用 latex 格式表示，按照阅读顺序组织进行解析。",
       answers::kParseMarkdown, "markdown"},
      {"table", "", {}, "把图中的表格解析为 HTML。", answers::kTableHtml, "html"},
      {"formula", "", {}, "识别图片中的公式，用 LaTeX 格式表示。", answers::kFormula, "latex"},
      {"extract", "", {"总金额", "日期"}, "提取图片中的: ['总金额','日期'] 的字段内容，并按照 JSON 格式返回。",
       answers::kExtractFenced, "fields"},
      {"extract", "", {"total"}, "Output the value of total.", answers::kExtractSingleValue, "fields"},
      {"translate", "", {},
       "先提取文字，再将文字内容翻译为英文。若是文档，则其中页眉、页脚忽略。公式用latex格式表示，表格用html格式表示。",
       answers::kTranslation, "translation"},
      {"", "translate this menu into English", {},
       "First extract the text, then translate the text content into English. If it is a document, ignore the "
       "header and footer. Formulas should be represented in LaTeX format, and tables should be represented in HTML "
       "format.",
       answers::kTranslation, "translation"},
      {"", "translate this Chinese menu into English", {},
       "First extract the text, then translate the text content into English. If it is a document, ignore the "
       "header and footer. Formulas should be represented in LaTeX format, and tables should be represented in HTML "
       "format.",
       answers::kTranslation, "translation"},
      {"", "把这张中文菜单翻译成英文", {},
       "先提取文字，再将文字内容翻译为英文。若是文档，则其中页眉、页脚忽略。公式用latex格式表示，表格用html格式表示。",
       answers::kTranslation, "translation"},
      {"vqa", "这家店的总金额是多少？", {}, "这家店的总金额是多少？", answers::kVqaAnswer, "answer"},
  };
  StandInServer server;
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  const cv::Mat image = receipt_image();
  for (const auto& c : cases) {
    SCOPED_TRACE("task '" + c.task + "' instruction '" + c.instruction + "'");
    server.expect(testing::expect_request(c.expected_prompt, 2048, 683));
    server.script({answer(c.recorded_answer)});
    const auto out = engine::to_json(backend.run(image, make_request(c.task, c.instruction, c.fields)));
    EXPECT_EQ(no_violations(server), "");
    EXPECT_FALSE(out["parse_error"].get<bool>()) << out.dump();
    EXPECT_TRUE(out.contains(c.result_key)) << out.dump();
    EXPECT_TRUE(out["text"].is_string());
    EXPECT_EQ(out["raw"], c.recorded_answer);
    EXPECT_EQ(out["backend"], "vlm");
    EXPECT_EQ(out["width"], 3000);
  }
  EXPECT_EQ(server.request_count(), static_cast<int>(cases.size()));
  EXPECT_EQ(metrics.requests("spot", "ok"), 1u);
  EXPECT_EQ(metrics.requests("translate", "ok"), 4u);
  EXPECT_GT(metrics.prompt_tokens(), 0);
  EXPECT_GT(metrics.completion_tokens(), 0);
}

TEST(VlmBackendTasks, SpottedBoxesComeBackInOriginalPixels) {
  StandInServer server;
  server.expect(testing::expect_request(std::nullopt, 2048, 683));
  server.script({answer(answers::kSpotTagless)});
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  const auto out = engine::to_json(backend.run(receipt_image(), make_request("spot")));
  ASSERT_EQ(out["lines"].size(), 3u);
  // (100,50),(600,120) of 2048x683 sent, 3000x1000 original.
  const auto& box = out["lines"][0]["box"];
  EXPECT_NEAR(box[0][0].get<double>(), 300.0, 1e-3);
  EXPECT_NEAR(box[0][1].get<double>(), 50.0, 1e-3);
  EXPECT_NEAR(box[2][0].get<double>(), 1800.0, 1e-3);
  EXPECT_NEAR(box[2][1].get<double>(), 120.0, 1e-3);
  EXPECT_EQ(out["vlm"]["sent_width"], 2048);
  EXPECT_EQ(out["vlm"]["usage"]["completion_tokens"], static_cast<int>(answers::kSpotTagless.size()));
}

TEST(VlmBackendTasks, MalformedAnswerIsReturnedRawWithParseError) {
  StandInServer server;
  server.script({answer(answers::kNoCoordinates)});
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  const auto out = engine::to_json(backend.run(receipt_image(800, 600), make_request("spot")));
  EXPECT_TRUE(out["parse_error"].get<bool>());
  EXPECT_EQ(out["text"], answers::kNoCoordinates);
  EXPECT_EQ(metrics.requests("spot", "parse_error"), 1u);
}

TEST(VlmBackendTasks, TruncatedLoopingAnswerIsTrimmedAndFlagged) {
  StandInServer server;
  Reply looping = answer("合计 ¥36.8\n" + [] { std::string s; for (int i = 0; i < 80; ++i) s += "谢谢惠顾 "; return s; }());
  looping.finish_reason = "length";
  server.script({looping});
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  const auto out = engine::to_json(backend.run(receipt_image(800, 600), make_request("text")));
  EXPECT_EQ(out["text"], "合计 ¥36.8\n谢谢惠顾 ");
  EXPECT_TRUE(out["truncated"].get<bool>());
  EXPECT_TRUE(out["repetition_trimmed"].get<bool>());
}

TEST(VlmBackendTasks, LoopingSpottingAnswerKeepsOneWholeCopyOfTheRepeatedLine) {
  const std::string a = "<ref>合计 ¥36.8</ref><quad>(100,800),(500,860)</quad>";
  const std::string b = "<ref>谢谢惠顾</ref><quad>(100,900),(400,950)</quad>";  // ends like `a` does
  std::string forty;
  for (int i = 0; i < 40; ++i) forty += b;
  std::string five;
  for (int i = 0; i < 5; ++i) five += b;
  Reply cut_off = answer(a + forty + b.substr(0, 17));  // hit max_tokens inside a copy
  cut_off.finish_reason = "length";
  const std::string tagless_b = "谢谢惠顾(100,900),(400,950)\n";
  std::string tagless = "合计 ¥36.8(100,800),(500,860)\n";
  for (int i = 0; i < 8; ++i) tagless += tagless_b;
  StandInServer server;
  server.script({cut_off, answer(a + five), answer(tagless)});
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const auto out = engine::to_json(backend.run(receipt_image(1000, 1000), make_request("spot")));
    EXPECT_FALSE(out["parse_error"].get<bool>());
    EXPECT_TRUE(out["repetition_trimmed"].get<bool>());
    ASSERT_EQ(out["lines"].size(), 2u) << out.dump();
    EXPECT_EQ(out["lines"][0]["text"], "合计 ¥36.8");
    EXPECT_EQ(out["lines"][1]["text"], "谢谢惠顾");
    EXPECT_NEAR(out["lines"][1]["box"][2][1].get<double>(), 950.0, 1e-3);  // the kept copy's box is whole
  }
}

TEST(VlmBackendTasks, FencedJsonSpottingAfterProseParses) {
  StandInServer server;
  server.script({answer("Here are the text lines I found:\n\n" + answers::kSpotJsonV15)});
  VlmMetrics metrics;
  VlmBackend backend(settings_for(server), &metrics);
  const auto out = engine::to_json(backend.run(receipt_image(1000, 1000), make_request("spot")));
  EXPECT_FALSE(out["parse_error"].get<bool>()) << out.dump();
  ASSERT_EQ(out["lines"].size(), 3u);
  EXPECT_EQ(out["lines"][0]["text"], "老王面馆");
}

TEST(VlmBackendTasks, ApiKeyFromKeyFileIsSentAsBearer) {
  const auto key_file = std::filesystem::temp_directory_path() / ("edgeocr-vlm-key-" + std::to_string(::getpid()));
  std::ofstream(key_file) << "  sk-test-123\n";
  StandInServer server;
  testing::Expectation with_key;
  with_key.bearer = "sk-test-123";
  server.expect(with_key);
  VlmSettings s = settings_for(server);
  s.key_file = key_file.string();
  VlmMetrics metrics;
  VlmBackend backend(s, &metrics);
  EXPECT_NO_THROW(backend.run(receipt_image(640, 480), make_request("spot")));
  EXPECT_EQ(no_violations(server), "");
  std::filesystem::remove(key_file);
  s.key_file = key_file.string();  // now missing
  EXPECT_THROW(VlmBackend(s, &metrics), std::runtime_error);
}

TEST(VlmClientResilience, RetriesServerErrorsWithBackoffThenSucceeds) {
  StandInServer server;
  server.script({status(503), status(502), answer(answers::kSpotTagged)});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  const auto result = client.complete(prepare_image(receipt_image(320, 240)).data_url, "提取图中的文字。");
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(result.content, answers::kSpotTagged);
  EXPECT_EQ(metrics.retries(), 2u);
  EXPECT_EQ(metrics.errors("http_5xx"), 2u);
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  // Equal jitter: at least half of 20 ms, then half of 40 ms.
  EXPECT_GE(seen[1].arrived - seen[0].arrived, 10ms);
  EXPECT_GE(seen[2].arrived - seen[1].arrived, 20ms);
  EXPECT_EQ(client.breaker_state(), BreakerState::closed);
}

TEST(VlmClientResilience, HonoursRetryAfterOn429) {
  StandInServer server;
  server.script({status(429, "1"), answer("ok")});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  const auto result = client.complete(prepare_image(receipt_image(320, 240)).data_url, "提取图中的文字。");
  EXPECT_EQ(result.content, "ok");
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1].arrived - seen[0].arrived, 950ms);  // backoff alone would be <= 20 ms
  EXPECT_EQ(metrics.errors("http_429"), 1u);
}

TEST(VlmClientResilience, GivesUpWhenRetryAfterIsLongerThanAllowed) {
  StandInServer server;
  server.script({status(429, "120")});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  const auto start = Clock::now();
  EXPECT_THROW(client.complete(prepare_image(receipt_image(320, 240)).data_url, "x"), VlmError);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(server.request_count(), 1);
}

TEST(VlmClientResilience, ClientErrorsAreNotRetried) {
  StandInServer server;
  server.script({status(404)});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  try {
    client.complete(prepare_image(receipt_image(320, 240)).data_url, "x");
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::rejected);
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 1);
}

TEST(VlmClientResilience, WrongModelNameIsRejectedByTheStandIn) {
  StandInServer server;
  server.expect(testing::Expectation{});  // model tencent/HunyuanOCR
  VlmSettings s = settings_for(server);
  s.client.model = "some/other-model";
  VlmMetrics metrics;
  VlmBackend backend(s, &metrics);
  try {
    backend.run(receipt_image(320, 240), make_request("spot"));
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::rejected);
  }
  EXPECT_EQ(server.violations().size(), 1u);
  EXPECT_EQ(metrics.requests("spot", "rejected"), 1u);
}

TEST(VlmClientResilience, SlowServerTimesOutWithoutRetrying) {
  StandInServer server;
  Reply slow = answer("late");
  slow.delay = 3s;
  server.set_fallback(slow);
  VlmSettings s = settings_for(server);
  s.client.timeout = 300ms;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const auto start = Clock::now();
  try {
    client.complete(prepare_image(receipt_image(320, 240)).data_url, "x");
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::unavailable);
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(metrics.errors("timeout"), 1u);
  EXPECT_EQ(server.request_count(), 0);  // still "running" on the server when we gave up
}

TEST(VlmClientResilience, TimeoutIsADeadlinePerAttemptEvenForATricklingServer) {
  StandInServer server;
  Reply trickling = answer("a long answer that arrives one byte at a time");
  trickling.trickle = 200ms;  // never idle for the whole timeout
  server.set_fallback(trickling);
  VlmSettings s = settings_for(server);
  s.client.timeout = 1s;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const auto start = Clock::now();
  try {
    client.complete(prepare_image(receipt_image(320, 240)).data_url, "x");
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::unavailable);
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 1800ms);
  EXPECT_EQ(metrics.errors("timeout"), 1u);
}

TEST(VlmClientResilience, RequestDeadlineBoundsAttemptsAndBackoff) {
  StandInServer server;
  Reply slow = answer("late");
  slow.delay = 5s;
  server.set_fallback(slow);
  VlmSettings s = settings_for(server);
  s.client.timeout = 60s;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const auto start = Clock::now();
  EXPECT_THROW(client.complete(prepare_image(receipt_image(320, 240)).data_url, "x", start + 700ms), VlmError);
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST(VlmClientResilience, InFlightGaugeReturnsToZeroAfterEveryRequest) {
  StandInServer server;
  server.script({answer("ok"), status(400)});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  const std::string url = prepare_image(receipt_image(320, 240)).data_url;
  EXPECT_EQ(client.complete(url, "x").content, "ok");
  EXPECT_NE(metrics.prometheus_text().find("edgeocr_vlm_in_flight 0\n"), std::string::npos) << metrics.prometheus_text();
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_NE(metrics.prometheus_text().find("edgeocr_vlm_in_flight 0\n"), std::string::npos) << metrics.prometheus_text();
}

TEST(VlmClientResilience, BreakerCountsRequestsNotAttempts) {
  StandInServer server;
  server.set_fallback(status(500));
  VlmSettings s = settings_for(server);
  s.client.max_attempts = 3;
  s.client.breaker_failure_threshold = 2;
  s.client.breaker_cool_down = 10s;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const std::string url = prepare_image(receipt_image(320, 240)).data_url;
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(server.request_count(), 3);  // every attempt of the first request went out
  EXPECT_EQ(client.breaker_state(), BreakerState::closed);
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(server.request_count(), 6);
  EXPECT_EQ(client.breaker_state(), BreakerState::open);
  EXPECT_GT(client.breaker().retry_in(), 9s);
}

TEST(VlmClientResilience, SendsTheModelCardsSamplingSettings) {
  StandInServer server;
  VlmSettings s = settings_for(server);
  const auto from_flags = [](const std::map<std::string, std::string>& flags) {
    return vlm_settings_from(
        settings::resolve(settings::specs_named({"vlm."}), flags, [](const char*) -> const char* { return nullptr; }));
  };
  s.client.repetition_penalty = from_flags({{"vlm.repetition_penalty", "1.08"}}).client.repetition_penalty;
  EXPECT_THROW(from_flags({{"vlm.top_k", "0"}}), settings::ConfigError);
  testing::Expectation card;
  card.top_k = 1;
  card.repetition_penalty = 1.08;
  server.expect(card);
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  EXPECT_NO_THROW(client.complete(prepare_image(receipt_image(320, 240)).data_url, "x"));
  EXPECT_EQ(no_violations(server), "");
}

TEST(VlmClientResilience, ConnectionRefusedIsRetriedThenUnavailable) {
  int dead_port = 0;
  {
    StandInServer gone;
    dead_port = gone.port();
  }
  VlmSettings s;
  s.client.base_url = "http://127.0.0.1:" + std::to_string(dead_port) + "/v1";
  s.client.backoff_base = 10ms;
  s.client.timeout = 2s;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  try {
    client.complete(prepare_image(receipt_image(320, 240)).data_url, "x");
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::unavailable);
  }
  EXPECT_EQ(metrics.errors("connection"), 3u);
  EXPECT_EQ(metrics.retries(), 2u);
}

TEST(VlmClientResilience, BadResponseBodyIsReported) {
  StandInServer server;
  Reply junk;
  junk.raw_body = "<html>gateway</html>";
  server.script({junk});
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(settings_for(server)), &metrics);
  try {
    client.complete(prepare_image(receipt_image(320, 240)).data_url, "x");
    FAIL() << "expected VlmError";
  } catch (const VlmError& e) {
    EXPECT_EQ(e.kind(), VlmError::Kind::bad_response);
  }
}

TEST(VlmClientResilience, InflightCapHoldsUnderConcurrentRequests) {
  StandInServer server;
  Reply slow = answer("ok");
  slow.delay = 150ms;
  server.set_fallback(slow);
  VlmSettings s = settings_for(server);
  s.client.max_inflight = 2;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const std::string url = prepare_image(receipt_image(320, 240)).data_url;
  std::vector<std::future<std::string>> results;
  for (int i = 0; i < 6; ++i) {
    results.push_back(std::async(std::launch::async, [&] { return client.complete(url, "x").content; }));
  }
  for (auto& r : results) EXPECT_EQ(r.get(), "ok");
  EXPECT_EQ(server.max_concurrent(), 2);
  EXPECT_EQ(client.limiter().peak(), 2);
  EXPECT_EQ(server.request_count(), 6);
}

TEST(VlmClientResilience, BreakerOpensFailsFastHalfOpensAndCloses) {
  StandInServer server;
  server.script({status(500), status(500), status(500), answer("recovered")});
  VlmSettings s = settings_for(server);
  s.client.max_attempts = 1;
  s.client.breaker_failure_threshold = 2;
  s.client.breaker_cool_down = 300ms;
  VlmMetrics metrics;
  OpenAiClient client(resolved_client_options(s), &metrics);
  const std::string url = prepare_image(receipt_image(320, 240)).data_url;
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(client.breaker_state(), BreakerState::closed);
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(client.breaker_state(), BreakerState::open);
  // Open: refused without touching the server.
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(server.request_count(), 2);
  EXPECT_EQ(metrics.errors("breaker_open"), 1u);
  // After the cool-down one probe goes through; it fails, so the breaker opens again.
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(client.breaker_state(), BreakerState::half_open);
  EXPECT_THROW(client.complete(url, "x"), VlmError);
  EXPECT_EQ(server.request_count(), 3);
  EXPECT_EQ(client.breaker_state(), BreakerState::open);
  // Next probe succeeds: closed again.
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(client.complete(url, "x").content, "recovered");
  EXPECT_EQ(client.breaker_state(), BreakerState::closed);
  EXPECT_EQ(client.breaker().times_opened(), 2);
  EXPECT_NE(metrics.prometheus_text().find("edgeocr_vlm_breaker_state 0"), std::string::npos);
}

TEST(VlmOptions, BackendNamesConfigKeysAndUrls) {
  EXPECT_EQ(parse_backend("vllm"), BackendKind::openai);
  EXPECT_EQ(parse_backend("OpenAI"), BackendKind::openai);
  EXPECT_EQ(parse_backend("hybrid"), BackendKind::hybrid);
  EXPECT_THROW(parse_backend("torch"), std::invalid_argument);
  const auto no_env = [](const char*) -> const char* { return nullptr; };
  const auto resolve = [&](const std::map<std::string, std::string>& flags) {
    return vlm_settings_from(settings::resolve(settings::specs_named({"backend", "vlm."}), flags, no_env));
  };
  const VlmSettings s = resolve({{"vlm.url", "https://gpu-box:8443/v1"},
                                 {"vlm.timeout", "2.5"},
                                 {"vlm.max_inflight", "8"},
                                 {"vlm.min_confidence", "0.75"},
                                 {"vlm.low_confidence_routing", "false"},
                                 {"vlm.breaker_cooldown", "7"},
                                 {"backend", "vllm"}});
  EXPECT_THROW(resolve({{"server.port", "8000"}}), settings::ConfigError);
  EXPECT_THROW(resolve({{"vlm.max_inflight", "0"}}), settings::ConfigError);
  EXPECT_THROW(resolve({{"vlm.min_confidence", "2"}}), settings::ConfigError);
  EXPECT_THROW(resolve({{"vlm.timeout", "soon"}}), settings::ConfigError);
  EXPECT_EQ(s.client.base_url, "https://gpu-box:8443/v1");
  EXPECT_EQ(s.client.timeout, 2500ms);
  EXPECT_EQ(s.client.max_inflight, 8);
  EXPECT_DOUBLE_EQ(s.min_confidence, 0.75);
  EXPECT_FALSE(s.route_low_confidence);
  EXPECT_EQ(s.client.breaker_cool_down, 7s);
  EXPECT_EQ(s.backend, BackendKind::openai);
  const VlmSettings defaults = resolve({});
  EXPECT_EQ(defaults.client.model, ClientOptions{}.model);  // the declared defaults are the client's
  EXPECT_EQ(defaults.client.timeout, ClientOptions{}.timeout);
  EXPECT_EQ(defaults.client.max_attempts, ClientOptions{}.max_attempts);
  EXPECT_EQ(defaults.client.breaker_failure_threshold, ClientOptions{}.breaker_failure_threshold);
  EXPECT_EQ(defaults.backend, BackendKind::native);
  EXPECT_EQ(split_base_url("https://gpu-box:8443/v1/"), std::make_pair(std::string("https://gpu-box:8443"), std::string("/v1")));
  EXPECT_EQ(split_base_url("127.0.0.1:8001"), std::make_pair(std::string("http://127.0.0.1:8001"), std::string("")));
  EXPECT_THROW(split_base_url("ftp://x/v1"), std::invalid_argument);
  EXPECT_THROW(split_base_url(""), std::invalid_argument);

  CLI::App app;
  settings::CommandSettings command(app, settings::specs_named({"backend", "vlm."}));
  const char* argv[] = {"t", "--backend", "hybrid", "--vlm-url", "http://10.0.0.5:8001/v1", "--vlm-timeout", "30",
                        "--vlm-max-inflight", "2", "--vlm-min-confidence", "0.5", "--vlm-model", "ggml-org/HunyuanOCR"};
  app.parse(static_cast<int>(std::size(argv)), const_cast<char**>(argv));
  const VlmSettings cli = vlm_settings_from(command.resolve(no_env));
  EXPECT_EQ(cli.backend, BackendKind::hybrid);
  EXPECT_EQ(cli.client.base_url, "http://10.0.0.5:8001/v1");
  EXPECT_EQ(cli.client.timeout, 30s);
  EXPECT_EQ(cli.client.max_inflight, 2);
  EXPECT_DOUBLE_EQ(cli.min_confidence, 0.5);
  EXPECT_EQ(cli.client.model, "ggml-org/HunyuanOCR");
}

}  // namespace
}  // namespace edgeocr::vlm
