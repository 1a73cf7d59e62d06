// The service on the real OCR pipeline (models from EDGEOCR_MODEL_DIR, receipts from the shared
// eval set): the original client must get the receipt's real text.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "serve/engine_factory.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocr/render.h"
#include "serve/native_engine.h"
#include "serve_test_support.h"
#include "support/documents.h"

using namespace edgeocr::serve;
using namespace edgeocr::serve::fixtures;
using json = nlohmann::json;

namespace {

ServerOptions native_options() {
  ServerOptions o;
  edgeocr::ocr::PipelineOptions pipeline;
  pipeline.model_dir = EDGEOCR_TEST_MODEL_DIR;
  pipeline.threads = 2;
  o.engine_factory = [pipeline] { return std::make_unique<NativeEngine>(pipeline, native_extraction()); };
  return o;
}

std::string receipt_path() { return shared_dir() + "/eval/sroie/img/000.jpg"; }

// Words of the receipt's labelled lines (box/000.csv), to check the OCR text against.
std::vector<std::string> labelled_lines() {
  std::ifstream in(shared_dir() + "/eval/sroie/box/000.csv");
  std::vector<std::string> lines;
  std::string row;
  while (std::getline(in, row)) {
    if (!row.empty() && row.back() == '\r') row.pop_back();
    size_t pos = 0;
    for (int i = 0; i < 8 && pos != std::string::npos; ++i) pos = row.find(',', pos) + 1;
    if (pos != 0 && pos < row.size()) lines.push_back(row.substr(pos));
  }
  return lines;
}

std::string run_command(const std::string& cmd, int& status) {
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  if (!pipe) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = pclose(pipe);
  return out;
}

// A port nobody listens on: bind port 0, read it back, close. (An httplib::Server probe would
// keep its SO_REUSEPORT socket open and steal connections.)
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST(NativeServer, OriginalPythonClientGetsTheReceiptText) {
  TestServer ts(native_options());
  int status = -1;
  const std::string out =
      run_command("NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 /usr/bin/python3 " + source_dir() +
                      "/tests/serve/seed_client.py http://127.0.0.1:" + std::to_string(ts.port()) + "/ocr " +
                      receipt_path() + " 2>&1",
                  status);
  ASSERT_EQ(status, 0) << out;
  const auto labels = labelled_lines();
  ASSERT_GT(labels.size(), 10u);
  // The recognizer's spacing and case differ from the labels' (it may join words): compare without spaces.
  const auto squeeze = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string text = squeeze(out);
  size_t found = 0;
  for (const auto& line : labels) found += text.find(squeeze(line)) != std::string::npos;
  // Most labelled lines appear in the text the client printed.
  EXPECT_NE(text.find("TOTAL:9.00"), std::string::npos) << out;
  EXPECT_GE(found * 10, labels.size() * 6) << found << " of " << labels.size() << " lines in:\n" << out;
}

TEST(NativeServer, V1ResultHasLinesBoxesMarkdownAndIsArchived) {
  TestServer ts(native_options());
  auto c = ts.client();
  // A small rendered page (three rows) keeps this quick; the receipt is the client test's.
  cv::Mat canvas(200, 420, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(canvas, "CORNER CAFE", {20, 50}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(0, 0, 0), 2);
  cv::putText(canvas, "COFFEE 4.50", {20, 110}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(0, 0, 0), 2);
  cv::putText(canvas, "TOTAL 4.50", {20, 170}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(0, 0, 0), 2);
  std::vector<uchar> encoded;
  cv::imencode(".png", canvas, encoded);
  const std::string png(encoded.begin(), encoded.end());
  auto res = c.Post("/v1/ocr?task=parse", png, "image/png");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto j = json::parse(res->body);
  ASSERT_GE(j["lines"].size(), 3u) << res->body;
  EXPECT_NE(j["text"].get<std::string>().find("4.50"), std::string::npos) << res->body;
  const int width = j["width"], height = j["height"];
  for (const auto& line : j["lines"]) {
    EXPECT_GT(line["confidence"].get<double>(), 0.0);
    for (const auto& p : line["box"]) {
      EXPECT_GE(p[0].get<double>(), -2);
      EXPECT_LE(p[0].get<double>(), width + 2);
      EXPECT_GE(p[1].get<double>(), -2);
      EXPECT_LE(p[1].get<double>(), height + 2);
    }
  }
  const std::string markdown = j["markdown"];
  EXPECT_NE(markdown.find(j["lines"][0]["text"].get<std::string>()), std::string::npos);
  EXPECT_GT(j["timings_ms"]["det"].get<double>(), 0);
  const std::string id = j["record_id"];
  auto stored = c.Get(("/v1/records/" + id).c_str());
  ASSERT_EQ(stored->status, 200);
  EXPECT_EQ(json::parse(stored->body)["text"], j["text"]);
  EXPECT_EQ(c.Get(("/v1/records/" + id + "/image").c_str())->body, png);
  auto metrics = c.Get("/metrics");
  EXPECT_NE(metrics->body.find("edgeocr_stage_duration_seconds_count{stage=\"rec\"} 1"), std::string::npos);
}

// A PDF of these page images (the searchable-PDF renderer, here without text).
std::string pdf_of(const std::vector<cv::Mat>& pages) {
  auto renderer = edgeocr::ocr::make_renderer("pdf");
  std::ostringstream out;
  renderer->begin(out);
  std::vector<edgeocr::ocr::OcrResult> results(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    results[i].width = pages[i].cols;
    results[i].height = pages[i].rows;
    edgeocr::ocr::RenderedPage page;
    page.file = "doc.pdf";
    page.page = static_cast<int>(i + 1);
    page.result = &results[i];
    page.image = &pages[i];
    renderer->add_page(out, page);
  }
  renderer->end(out);
  return out.str();
}

cv::Mat text_page(const std::string& text) {
  cv::Mat canvas(160, 420, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(canvas, text, {20, 90}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(0, 0, 0), 2);
  return canvas;
}

TEST(NativeServer, PdfPagesAnsweredInOneResponseWithPageCapAndPixelLimit) {
  TestServer ts(native_options());
  auto c = ts.client();
  const std::string pdf = pdf_of({text_page("CORNER CAFE"), text_page("TOTAL 4.50")});
  auto res = c.Post("/v1/ocr", pdf, "application/pdf");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto j = json::parse(res->body);
  EXPECT_EQ(j["page_count"], 2);
  ASSERT_EQ(j["pages"].size(), 2u);
  EXPECT_EQ(j["pages"][0]["page"], 1);
  EXPECT_EQ(j["pages"][1]["page"], 2);
  EXPECT_NE(j["pages"][0]["text"].get<std::string>().find("CAFE"), std::string::npos) << res->body;
  EXPECT_NE(j["pages"][1]["text"].get<std::string>().find("4.50"), std::string::npos) << res->body;
  EXPECT_EQ(j["text"], j["pages"][0]["text"].get<std::string>() + "\f" + j["pages"][1]["text"].get<std::string>());
  EXPECT_FALSE(j["record_id"].is_null());

  // Over the page cap: refused before any page is rendered.
  const std::vector<cv::Mat> many(NativeEngine::kMaxPagesPerRequest + 1, cv::Mat(8, 8, CV_8UC3, cv::Scalar(255, 255, 255)));
  res = c.Post("/v1/ocr", pdf_of(many), "application/pdf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_NE(res->body.find("pages selected, over the limit"), std::string::npos) << res->body;
}

// The other multi-page inputs the decode layer reads: every page in one response, as for PDF.
TEST(NativeServer, MultiPageTiffAndHeicAnsweredPageByPage) {
  TestServer ts(native_options());
  auto c = ts.client();
  const std::vector<cv::Mat> pages = {text_page("CORNER CAFE"), text_page("TOTAL 4.50")};
  const auto as_string = [](const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); };
  for (const auto& [type, body] : {std::pair{std::string("image/tiff"), as_string(edgeocr::test::encode_tiff_pages(pages))},
                                   std::pair{std::string("image/heic"), as_string(edgeocr::test::encode_heic(pages))}}) {
    auto res = c.Post("/v1/ocr", body, type.c_str());
    ASSERT_TRUE(res) << type;
    ASSERT_EQ(res->status, 200) << type << ": " << res->body;
    const auto j = json::parse(res->body);
    EXPECT_EQ(j["page_count"], 2) << type;
    ASSERT_EQ(j["pages"].size(), 2u) << type << ": " << res->body;
    EXPECT_EQ(j["pages"][1]["page"], 2) << type;
    EXPECT_NE(j["pages"][0]["text"].get<std::string>().find("CAFE"), std::string::npos) << type << ": " << res->body;
    EXPECT_NE(j["pages"][1]["text"].get<std::string>().find("4.50"), std::string::npos) << type << ": " << res->body;
  }
}

TEST(NativeServer, PdfPagesOverThePixelLimitAre413) {
  ServerOptions o;
  edgeocr::ocr::PipelineOptions pipeline;
  pipeline.model_dir = EDGEOCR_TEST_MODEL_DIR;
  pipeline.threads = 1;
  pipeline.limits.max_pixels = 100'000;  // the 420x160 px page at 150 dpi is 560x213 at 200 dpi
  o.engine_factory = [pipeline] { return std::make_unique<NativeEngine>(pipeline, native_extraction()); };
  TestServer ts(o);
  auto c = ts.client();
  auto res = c.Post("/v1/ocr", pdf_of({text_page("TOTAL 4.50")}), "application/pdf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_NE(res->body.find("page 1 is"), std::string::npos) << res->body;
}

TEST(NativeServer, BrokenImagesAre400AndExtractionIsExplicit) {
  TestServer ts(native_options());
  auto c = ts.client();
  std::string jpeg = read_file(receipt_path());
  auto res = c.Post("/ocr", httplib::MultipartFormDataItems{{"file", jpeg.substr(0, jpeg.size() / 3), "a.jpg", "image/jpeg"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "bad_image");
  // Receipt 000's labelled total is 9.00.
  res = c.Post("/v1/ocr?instruction=extract%20the%20total%20amount", jpeg, "image/jpeg");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto body = json::parse(res->body);
  ASSERT_TRUE(body["fields"].contains("total_amount")) << res->body;
  EXPECT_NE(body["fields"]["total_amount"].get<std::string>().find("9.00"), std::string::npos) << res->body;
  EXPECT_TRUE(body["extraction"].contains("details"));
  // What the native extractor cannot answer names the VLM backend instead.
  res = c.Post("/v1/ocr?instruction=translate%20this%20menu", jpeg, "image/jpeg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422) << res->body;
  const auto err = json::parse(res->body)["error"];
  EXPECT_EQ(err["code"], "unsupported_instruction");
  EXPECT_NE(err["message"].get<std::string>().find("backend"), std::string::npos) << res->body;
}

TEST(NativeServer, LangParameterRoutesLinesAndNamesMissingPacks) {
  TestServer ts(native_options());
  auto c = ts.client();
  const std::string jpeg = read_file(receipt_path());
  // A receipt's English lines keep the PP reading under `auto`, each tagged with its script.
  auto res = c.Post("/v1/ocr?lang=auto", jpeg, "image/jpeg");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto body = json::parse(res->body);
  ASSERT_FALSE(body["lines"].empty());
  size_t with_letters = 0, latin = 0;
  for (const auto& line : body["lines"]) {
    if (!line.contains("script")) continue;  // digits and punctuation only
    ++with_letters;
    latin += line["script"] == "Latin" && line.value("language", "") == "eng";
  }
  // Two lines of this receipt are Chinese.
  EXPECT_GE(latin + 2, with_letters) << res->body;
  EXPECT_GT(latin, 20u) << res->body;
  // The legacy endpoint takes it too; a pack that is not installed is a 400 naming the package.
  res = c.Post("/ocr?lang=xyz", httplib::MultipartFormDataItems{{"file", jpeg, "a.jpg", "image/jpeg"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_NE(res->body.find("tesseract-ocr-xyz"), std::string::npos) << res->body;
  res = c.Post("/v1/ocr?lang=Bad%20Code", jpeg, "image/jpeg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
}

#ifdef EDGEOCR_TEST_EDGEOCR_BINARY
// The built `edgeocr serve` binary: flags, refusal of cuda, SIGTERM shutdown.
// OpenMP threads wait passively unless the user chose a policy: libgomp itself says what it read
// (a spin count of 0 is the passive policy).
TEST(EdgeocrBinary, OpenMpWaitsPassivelyUnlessTheUserChoseAPolicy) {
  if (!std::filesystem::exists(EDGEOCR_TEST_EDGEOCR_BINARY)) GTEST_SKIP() << "edgeocr binary not built";
  int status = -1;
  const std::string binary = EDGEOCR_TEST_EDGEOCR_BINARY;
  std::string out = run_command("env -u OMP_WAIT_POLICY OMP_DISPLAY_ENV=verbose " + binary + " --version 2>&1", status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << out;
  out = run_command("OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=verbose " + binary + " --version 2>&1", status);
  EXPECT_NE(out.find("OMP_WAIT_POLICY = 'ACTIVE'"), std::string::npos) << out;
  EXPECT_EQ(out.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << out;
}

TEST(EdgeocrBinary, ServeRefusesCudaAndShutsDownCleanlyOnSigterm) {
  if (!std::filesystem::exists(EDGEOCR_TEST_EDGEOCR_BINARY)) GTEST_SKIP() << "edgeocr binary not built";
  TempDir dir;
  int status = -1;
  std::string out = run_command(std::string(EDGEOCR_TEST_EDGEOCR_BINARY) + " serve --device cuda:0 --data-dir " +
                                    (dir.path() / "d").string() + " 2>&1",
                                status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("no CUDA support"), std::string::npos) << out;

  out = run_command(std::string(EDGEOCR_TEST_EDGEOCR_BINARY) + " serve --help 2>&1", status);
  for (const char* flag : {"--host", "--port", "--model-path", "--device", "--backend", "--threads", "--data-dir",
                           "--tls-cert", "--tls-key", "--auth-file", "--config", "EDGEOCR_PORT"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag;

  // Find a free port, start the server on it, OCR once, then SIGTERM.
  const int port = free_port();
  const std::string log = (dir.path() / "serve.log").string();
  const std::string cmd = "EDGEOCR_PORT=" + std::to_string(port) + " " + EDGEOCR_TEST_EDGEOCR_BINARY +
                          " serve --model-path " + EDGEOCR_TEST_MODEL_DIR + " --data-dir " +
                          (dir.path() / "data").string() + " > " + log + " 2>&1 & echo $!";
  const pid_t pid = std::stoi(run_command(cmd, status));
  struct KillOnExit {  // the server must not outlive a failed assertion
    pid_t pid;
    ~KillOnExit() {
      if (kill(pid, 0) == 0) kill(pid, SIGKILL);
    }
  } guard{pid};
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120);
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    up = static_cast<bool>(c.Get("/readyz"));
  }
  ASSERT_TRUE(up) << read_file(log);
  // A small rendered line keeps this test quick; the receipt is covered by NativeServer above.
  cv::Mat canvas(64, 320, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(canvas, "TOTAL 36.80", {12, 44}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(0, 0, 0), 2);
  std::vector<uchar> png;
  cv::imencode(".png", canvas, png);
  auto res = c.Post("/ocr", httplib::MultipartFormDataItems{{"file", std::string(png.begin(), png.end()), "line.png", "image/png"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(json::parse(res->body)["text"].get<std::string>().find("36.8"), std::string::npos) << res->body;
  // /metrics shows the process's RSS and the runtime's cache sizes.
  const std::string metrics = c.Get("/metrics")->body;
  const auto gauge = [&metrics](const std::string& name) {
    const size_t at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + name.size() + 2));
  };
  EXPECT_GT(gauge("edgeocr_process_resident_bytes"), 50e6) << metrics;  // models and activations
  EXPECT_GT(gauge("edgeocr_runtime_primitive_cache_entries"), 0) << metrics;
  EXPECT_GE(gauge("edgeocr_runtime_pooled_free_bytes"), 0) << metrics;
  kill(pid, SIGTERM);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = kill(pid, 0) != 0;
  }
  EXPECT_TRUE(gone) << "server did not exit on SIGTERM";
  const std::string text = read_file(log);
  EXPECT_NE(text.find("listening on http://127.0.0.1:" + std::to_string(port)), std::string::npos) << text;
  EXPECT_NE(text.find("route=\"POST /ocr\" status=200"), std::string::npos) << text;
  EXPECT_NE(text.find("stopped; archive closed"), std::string::npos) << text;
}
#endif
