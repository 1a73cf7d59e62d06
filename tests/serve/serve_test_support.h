// Helpers for the server tests: temp dirs, fake engines, an in-process server on a free
// 127.0.0.1 port, image bytes and a self-signed certificate.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "serve/server.h"

namespace edgeocr::serve::fixtures {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Answers "FAKE <n> bytes" with one line, after sleeping `delay_ms` (shared, adjustable).
// Only for queueing / errors / auth / archive tests, where the models are not the point.
class FakeEngine : public engine::OcrEngine {
 public:
  explicit FakeEngine(std::shared_ptr<std::atomic<int>> delay_ms) : delay_ms_(std::move(delay_ms)) {}
  engine::OcrResponse recognize(const engine::OcrRequest& request) override;

 private:
  std::shared_ptr<std::atomic<int>> delay_ms_;
};

engine::EngineFactory fake_engine_factory(std::shared_ptr<std::atomic<int>> delay_ms = std::make_shared<std::atomic<int>>(0));

// A PNG signature + IHDR claiming width x height, then `tag` (makes distinct images). Enough for
// the server's header checks and the fake engine; not decodable pixels.
std::string png_header(int width, int height, const std::string& tag = "");

class TestServer {
 public:
  explicit TestServer(ServerOptions options);  // data dir in its own temp dir unless set
  ~TestServer();
  httplib::Client client() const;
  int port() const { return port_; }
  Server& server() { return *server_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  void stop();

 private:
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Writes cert.pem / key.pem (CN and SAN 127.0.0.1) into `dir` with the openssl CLI.
bool make_self_signed_cert(const std::filesystem::path& dir);

std::string read_file(const std::filesystem::path& path);
std::string shared_dir();  // EDGEOCR_SHARED_DIR
std::string source_dir();  // EDGEOCR_SOURCE_DIR

}  // namespace edgeocr::serve::fixtures
