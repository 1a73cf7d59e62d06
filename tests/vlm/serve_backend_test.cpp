// `edgeocr serve` with every backend, wired through the server's own settings and engine factory
// (src/serve/engine_factory.cpp): POST /ocr (the original deployment's client) must get `text`
// in every mode; hybrid routes translation to the stand-in VLM and falls back to native, marked
// "vlm_unavailable", when the VLM is down.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <httplib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "recorded_answers.h"
#include "serve/engine_factory.h"
#include "serve/server.h"
#include "stand_in_server.h"
#include "vlm/metrics.h"

namespace edgeocr::vlm {
namespace {

using testing::Reply;
using testing::StandInServer;
namespace answers = testing::answers;

std::string receipt_jpeg() {
  cv::Mat m(240, 900, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(m, "TOTAL 36.80", {40, 100}, cv::FONT_HERSHEY_SIMPLEX, 2.0, cv::Scalar(0, 0, 0), 4);
  cv::putText(m, "CASH 50.00", {40, 190}, cv::FONT_HERSHEY_SIMPLEX, 2.0, cv::Scalar(0, 0, 0), 4);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", m, jpeg);
  return {jpeg.begin(), jpeg.end()};
}

class RunningServer {
 public:
  RunningServer(const std::string& backend, const std::string& vlm_url,
                const std::map<std::string, std::string>& extra = {})
      : dir_(std::filesystem::temp_directory_path() /
             ("edgeocr-vlm-serve-" + std::to_string(::getpid()) + "-" + backend + "-" + std::to_string(counter_++))) {
    std::filesystem::create_directories(dir_);
    std::map<std::string, std::string> flags = {{"backend", backend},
                                                {"model_path", EDGEOCR_TEST_MODEL_DIR},
                                                {"data_dir", dir_.string()},
                                                {"vlm.url", vlm_url},
                                                {"vlm.timeout", "5"},
                                                {"vlm.retries", "1"}};
    for (const auto& [key, value] : extra) flags[key] = value;
    const settings::Settings settings =
        settings::resolve(serve::serve_specs(), flags, [](const char*) -> const char* { return nullptr; });
    serve::ServerOptions options;
    options.backend_name = settings.get("backend");
    options.engine_factory = serve::make_engine_factory(settings);
    options.workers = serve::job_workers(settings);  // as `edgeocr serve` sets them
    options.request_timeout_s = settings.get_double("limits.request_timeout_s");
    options.archive.data_dir = dir_;
    options.port = 0;
    server_ = std::make_unique<serve::Server>(std::move(options));
    server_->metrics().add_exposition([] { return global_metrics().prometheus_text(); });
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    httplib::Client probe("127.0.0.1", port_);
    for (int i = 0; i < 200; ++i) {  // bounded: until the accept loop answers
      if (auto r = probe.Get("/healthz"); r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~RunningServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  nlohmann::json post(const std::string& path, const httplib::MultipartFormDataItems& items) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    const auto res = client.Post(path.c_str(), items);
    if (!res) return {{"transport_error", httplib::to_string(res.error())}};
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    j["http_status"] = res->status;
    return j;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<serve::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

httplib::MultipartFormDataItems file_only(const std::string& jpeg) { return {{"file", jpeg, "image.jpg", "image/jpeg"}}; }

// The original deployment's client script, run with Debian's python3-requests.
std::string run_seed_client(const std::string& url, const std::string& jpeg) {
  const auto image = std::filesystem::temp_directory_path() / ("edgeocr-vlm-seed-" + std::to_string(::getpid()) + ".jpg");
  std::ofstream(image, std::ios::binary) << jpeg;
  const std::string command = "/usr/bin/python3 " EDGEOCR_TEST_SOURCE_DIR "/tests/serve/seed_client.py " + url + " " +
                              image.string() + " 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    ::pclose(pipe);
  }
  std::filesystem::remove(image);
  return out;
}

TEST(ServeBackends, OcrReturnsTextInEveryBackendMode) {
  StandInServer vlm;
  vlm.set_fallback(testing::reply_content(answers::kSpotTagged));
  const std::string jpeg = receipt_jpeg();
  for (const std::string backend : {"native", "openai", "vllm", "hybrid"}) {
    SCOPED_TRACE(backend);
    RunningServer server(backend, vlm.base_url());
    const auto out = server.post("/ocr", file_only(jpeg));
    ASSERT_EQ(out.value("http_status", 0), 200) << out.dump();
    ASSERT_TRUE(out.contains("text") && out["text"].is_string()) << out.dump();
    EXPECT_FALSE(out["text"].get<std::string>().empty()) << out.dump();
    const std::string printed = run_seed_client(server.url("/ocr"), jpeg);
    EXPECT_EQ(printed, out["text"].get<std::string>() + "\n");
    if (backend == "openai" || backend == "vllm") {
      EXPECT_EQ(out["text"], "老王面馆\n合计 ¥36.8 2026-01-15");
    }
  }
  EXPECT_TRUE(vlm.violations().empty());
}

TEST(ServeBackends, HybridSendsTranslationToTheVlmAndFallsBackWhenItIsDown) {
  const std::string jpeg = receipt_jpeg();
  httplib::MultipartFormDataItems translate = file_only(jpeg);
  translate.push_back({"instruction", "translate this receipt into English", "", ""});
  {
    StandInServer vlm;
    vlm.set_fallback(testing::reply_content(answers::kTranslation));
    RunningServer server("hybrid", vlm.base_url());
    const auto out = server.post("/v1/ocr", translate);
    ASSERT_EQ(out.value("http_status", 0), 200) << out.dump();
    EXPECT_EQ(out["text"], answers::kTranslation);
    EXPECT_EQ(out["route"]["reason"], "translation");
    EXPECT_FALSE(out["ocr_text"].get<std::string>().empty());
    EXPECT_EQ(vlm.request_count(), 1);
    EXPECT_TRUE(vlm.violations().empty());

    httplib::Client client("127.0.0.1", server.port());
    const auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_NE(metrics->body.find("edgeocr_vlm_requests_total{task=\"translate\",outcome=\"ok\"}"), std::string::npos);
  }
  int dead_port = 0;
  {
    StandInServer gone;
    dead_port = gone.port();
  }
  RunningServer server("hybrid", "http://127.0.0.1:" + std::to_string(dead_port) + "/v1");
  const auto out = server.post("/v1/ocr", translate);
  ASSERT_EQ(out.value("http_status", 0), 200) << out.dump();
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_FALSE(out["text"].get<std::string>().empty());
}

TEST(ServeBackends, OpenAiBackendAnswersVlmTasksAndReportsAnOutage) {
  const std::string jpeg = receipt_jpeg();
  {
    StandInServer vlm;
    vlm.expect(testing::expect_request("把图中的表格解析为 HTML。", 900, 240));
    vlm.set_fallback(testing::reply_content(answers::kTableHtml));
    RunningServer server("openai", vlm.base_url());
    httplib::MultipartFormDataItems items = file_only(jpeg);
    items.push_back({"task", "table", "", ""});
    const auto out = server.post("/v1/ocr", items);
    ASSERT_EQ(out.value("http_status", 0), 200) << out.dump();
    EXPECT_EQ(out["html"], answers::kTableHtml);
    EXPECT_TRUE(vlm.violations().empty());
  }
  int dead_port = 0;
  {
    StandInServer gone;
    dead_port = gone.port();
  }
  RunningServer server("openai", "http://127.0.0.1:" + std::to_string(dead_port) + "/v1");
  const auto out = server.post("/ocr", file_only(jpeg));
  EXPECT_EQ(out.value("http_status", 0), 503) << out.dump();
  EXPECT_EQ(out["error"]["code"], "vlm_unavailable");
}

TEST(ServeBackends, HybridAnswersNativeWithVlmUnavailableWithinTheRequestBudgetWhenTheVlmHangs) {
  StandInServer vlm;
  Reply hanging = testing::reply_content(answers::kTranslation);
  hanging.delay = std::chrono::seconds(120);
  vlm.set_fallback(hanging);
  // The VLM's own timeout (60 s) is far beyond the request's 10 s budget.
  RunningServer server("hybrid", vlm.base_url(),
                       {{"vlm.timeout", "60"}, {"vlm.retries", "3"}, {"limits.request_timeout_s", "10"}});
  httplib::MultipartFormDataItems translate = file_only(receipt_jpeg());
  translate.push_back({"instruction", "translate this Chinese menu into English", "", ""});
  const auto start = std::chrono::steady_clock::now();
  const auto out = server.post("/v1/ocr", translate);
  const auto took = std::chrono::steady_clock::now() - start;
  // 200 (not the server's 504): the job finished inside the budget; storing the record and
  // answering come after it.
  ASSERT_EQ(out.value("http_status", 0), 200) << out.dump();
  EXPECT_TRUE(out["vlm_unavailable"].get<bool>());
  EXPECT_NE(out.value("vlm_error", "").find("timed out"), std::string::npos) << out.dump();
  EXPECT_FALSE(out["text"].get<std::string>().empty());
  EXPECT_LT(took, std::chrono::seconds(20));  // not the VLM's 3 x 60 s
}

TEST(ServeBackends, VlmRequestsDoNotWaitForTheSingleOcrWorker) {
  StandInServer vlm;
  Reply slow = testing::reply_content(answers::kTableHtml);
  slow.delay = std::chrono::milliseconds(1500);
  vlm.set_fallback(slow);
  RunningServer server("openai", vlm.base_url(), {{"workers", "1"}, {"vlm.max_inflight", "4"}});
  httplib::MultipartFormDataItems items = file_only(receipt_jpeg());
  items.push_back({"task", "table", "", ""});
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  std::vector<int> statuses(3, 0);
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] { statuses[i] = server.post("/v1/ocr", items).value("http_status", 0); });
  }
  for (auto& c : clients) c.join();
  const auto took = std::chrono::steady_clock::now() - start;
  for (int status : statuses) EXPECT_EQ(status, 200);
  EXPECT_EQ(vlm.max_concurrent(), 3);
  EXPECT_LT(took, std::chrono::milliseconds(4000));  // one at a time would take 4.5 s
}

TEST(ServeBackends, OpenBreakerAnswers503WithRetryAfter) {
  StandInServer vlm;
  vlm.set_fallback(testing::reply_status(500));
  RunningServer server("openai", vlm.base_url());  // 1 attempt per request; breaker opens after 5
  const std::string jpeg = receipt_jpeg();
  for (int i = 0; i < 5; ++i) {
    const auto out = server.post("/ocr", file_only(jpeg));
    EXPECT_EQ(out.value("http_status", 0), 503) << out.dump();
  }
  EXPECT_EQ(vlm.request_count(), 5);
  httplib::Client client("127.0.0.1", server.port());
  const auto res = client.Post("/ocr", file_only(jpeg));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("vlm_unavailable"), std::string::npos) << res->body;
  ASSERT_TRUE(res->has_header("Retry-After"));
  const int retry_after = std::stoi(res->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 25);  // the breaker's 30 s cool-down, just begun
  EXPECT_LE(retry_after, 30);
  EXPECT_EQ(vlm.request_count(), 5);  // refused without calling the VLM
}

}  // namespace
}  // namespace edgeocr::vlm
