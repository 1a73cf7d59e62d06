// The EdgeOCR HTTP service: OCR endpoints in front of a bounded job queue, the archive, health,
// metrics, OpenAPI and the web page, optionally behind TLS and auth. Used by `edgeocr serve` and
// started in-process by the tests.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "serve/auth.h"
#include "engine/engine.h"
#include "serve/http.h"
#include "serve/metrics.h"
#include "store/archive.h"


namespace edgeocr::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see Server::port())
  store::ArchiveOptions archive;  // data dir, plus other areas' migrations / in-transaction hooks
  store::RetentionPolicy retention;  // applied to the archive at start, then hourly (default: keep)
  std::string tls_cert, tls_key;  // both set: HTTPS
  std::optional<Authenticator> auth;
  std::string backend_name = "native";
  engine::EngineFactory engine_factory;
  int workers = 1;
  int64_t max_body_bytes = 20LL << 20;
  int64_t max_pixels = 40'000'000;
  int queue_length = 16;
  double request_timeout_s = 60;
  int read_timeout_s = 15;      // whole body
  int write_timeout_s = 15;     // whole response
  double header_timeout_s = 10;  // whole request line + headers
  double keep_alive_timeout_s = 5;
  int64_t max_header_bytes = 16 * 1024;
  int max_connections = 256;
  int web_port = -1;  // >= 0: also serve the web page (only) on this port; 0: any free port
  Metrics::GaugeSource extra_gauges;  // other areas' gauges on /metrics (e.g. the sync outbox)
};

class JobQueue;
class RetentionWorker;

class Server {
 public:
  // Opens the archive and builds the workers' engines; throws with a clear message on failure.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int bind();   // binds host:port; returns the port; throws when the address is taken
  void run();   // serves until stop(); then lets running requests finish
  void stop();  // thread-safe; safe to call from another thread at any time

  int port() const { return port_; }
  int web_port() const { return web_port_; }
  bool tls() const { return !options_.tls_cert.empty(); }
  Metrics& metrics() { return metrics_; }
  store::Archive& archive() { return *archive_; }

 private:
  http::ServerLimits limits() const;
  void install_common(http::HttpServer& http);
  void install_routes();
  void handle_ocr(const http::Request& req, http::Response& res, bool v1);
  bool trusted_origin(const http::Request& req) const;
  int retry_after_s() const;

  ServerOptions options_;
  Metrics metrics_;
  std::unique_ptr<store::Archive> archive_;
  std::unique_ptr<RetentionWorker> retention_;  // after archive_: stops before the archive closes
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<http::HttpServer> web_;
  LoginBackoff login_backoff_;
  std::atomic<bool> stopping_{false};
  std::atomic<double> mean_run_ms_{1000};
  int port_ = 0;
  int web_port_ = -1;
};

bool is_loopback_host(const std::string& host);

// The OpenAPI 3 document of the routes above.
nlohmann::json openapi_document();

}  // namespace edgeocr::serve
