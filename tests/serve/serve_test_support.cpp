#include "serve_test_support.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edgeocr::serve::fixtures {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          ("edgeocr-serve-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

engine::OcrResponse FakeEngine::recognize(const engine::OcrRequest& request) {
  const int delay = delay_ms_->load();
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  engine::OcrResponse out;
  out.text = "FAKE " + std::to_string(request.image().size()) + " bytes";
  ocr::TextLine line;
  line.text = out.text;
  line.confidence = 0.9f;
  line.box = {ocr::Point{0, 0}, {10, 0}, {10, 5}, {0, 5}};
  out.lines.push_back(line);
  out.width = 10;
  out.height = 5;
  ocr::StageTimings timings;
  timings.det = 1.0;
  timings.rec = 2.0;
  timings.total = 3.0 + delay;
  out.timings = timings;
  if (request.task == "parse") out.markdown = out.text + "\n";
  return out;
}

engine::EngineFactory fake_engine_factory(std::shared_ptr<std::atomic<int>> delay_ms) {
  return [delay_ms] { return std::make_unique<FakeEngine>(delay_ms); };
}

std::string png_header(int width, int height, const std::string& tag) {
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\0\0\0\x0dIHDR", 8);
  for (int v : {width, height})
    for (int shift : {24, 16, 8, 0}) png += static_cast<char>((v >> shift) & 0xff);
  png += std::string("\x08\x02\0\0\0", 5);
  png += "\0\0\0\0";  // CRC (not checked by the header probe)
  png += tag;
  return png;
}

TestServer::TestServer(ServerOptions options) {
  if (options.archive.data_dir.empty() || options.archive.data_dir == "data")
    options.archive.data_dir = dir_.path() / "data";
  data_dir_ = options.archive.data_dir;
  options.host = "127.0.0.1";
  options.port = 0;
  server_ = std::make_unique<Server>(std::move(options));
  port_ = server_->bind();
  thread_ = std::thread([this] { server_->run(); });
  // Wait (bounded) until the listener answers, so stop() always finds it running.
  const bool tls = server_->tls();
  for (int i = 0; i < 200; ++i) {
    bool answered = false;
    if (tls) {
      httplib::SSLClient c("127.0.0.1", port_);
      c.enable_server_certificate_verification(false);
      answered = static_cast<bool>(c.Get("/healthz"));
    } else {
      answered = static_cast<bool>(client().Get("/healthz"));
    }
    if (answered) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("test server did not come up");
}

TestServer::~TestServer() { stop(); }

void TestServer::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

httplib::Client TestServer::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(5);
  c.set_read_timeout(180);  // real OCR on a loaded 2-core machine can take a while
  return c;
}

bool make_self_signed_cert(const fs::path& dir) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
                          (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shared_dir() { return EDGEOCR_TEST_SHARED_DIR; }
std::string source_dir() { return EDGEOCR_TEST_SOURCE_DIR; }

}  // namespace edgeocr::serve::fixtures
