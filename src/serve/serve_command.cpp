// `edgeocr serve`: settings from flags / env / config file, then the HTTP server until SIGTERM.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "serve/auth.h"
#include "serve/engine_factory.h"
#include "serve/server.h"
#include "settings/cli.h"
#include "sync/archive_link.h"
#include "sync/sync_client.h"
#include "vlm/metrics.h"

namespace edgeocr::cli {
namespace {

int run_server(const settings::Settings& settings) {
  spdlog::set_level(spdlog::level::from_str(settings.get("log_level")));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  serve::ServerOptions options;
  options.backend_name = settings.get("backend");
  options.engine_factory = serve::make_engine_factory(settings);  // checks --device and --backend
  if (settings.is_set("auth_file")) options.auth = serve::Authenticator::from_file(settings.get("auth_file"));
  // Without auth, only an explicitly chosen host leaves the loopback interface.
  options.host = settings.is_set("host") ? settings.get("host") : (options.auth ? "0.0.0.0" : "127.0.0.1");
  options.port = static_cast<int>(settings.get_int("port"));
  options.archive.data_dir = settings.get("data_dir");
  options.retention = {settings.get_double("retention.images_days"), settings.get_double("retention.records_days")};
  // The outbox tables and deletion hook always (a record head office has must be deleted there
  // too, even if sync is off today); with sync.url, also the insert hook and the worker.
  const bool sync_on = settings.is_set("sync.url");
  sync::add_outbox_to(options.archive, sync_on);
  std::unique_ptr<sync::SyncWorker> sync_worker;
  if (sync_on) {
    sync_worker = std::make_unique<sync::SyncWorker>(sync::SyncConfig::from_settings(settings), options.archive.data_dir,
                                                     sync::archive_database_file(options.archive.data_dir));
  }
  options.extra_gauges = [worker = sync_worker.get(), engine = serve::engine_gauges(settings)] {
    std::vector<std::pair<std::string, std::pair<std::string, double>>> g;
    if (worker) g = worker->gauges();
    if (engine)
      for (auto& e : engine()) g.push_back(std::move(e));
    return g;
  };
  options.tls_cert = settings.get("tls_cert");
  options.tls_key = settings.get("tls_key");
  options.workers = serve::job_workers(settings);
  options.max_body_bytes = static_cast<int64_t>(settings.get_double("limits.max_body_mb") * (1 << 20));
  options.max_pixels = settings.get_int("limits.max_pixels");
  options.queue_length = static_cast<int>(settings.get_int("limits.queue_length"));
  options.request_timeout_s = settings.get_double("limits.request_timeout_s");
  options.read_timeout_s = static_cast<int>(settings.get_int("limits.read_timeout_s"));
  options.write_timeout_s = static_cast<int>(settings.get_int("limits.write_timeout_s"));
  options.header_timeout_s = settings.get_double("limits.header_timeout_s");
  options.keep_alive_timeout_s = settings.get_double("limits.keep_alive_timeout_s");
  options.max_header_bytes = settings.get_int("limits.max_header_kb") * 1024;
  options.max_connections = static_cast<int>(settings.get_int("limits.max_connections"));
  if (const int web_port = static_cast<int>(settings.get_int("web_port")); web_port != 0) options.web_port = web_port;

  // SIGTERM/SIGINT are handled by one thread (sigwait), so every other thread must block them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Two heap arenas instead of glibc's 8 per core: the many HTTP and worker threads otherwise
  // each keep an arena of freed request and image memory that the others cannot reuse.
  mallopt(M_ARENA_MAX, 2);
  spdlog::info("loading {} worker(s), backend {}", options.workers, options.backend_name);
  serve::Server server(std::move(options));
  if (settings.get("backend") != "native")  // VLM requests, latency, errors, tokens
    server.metrics().add_exposition([] { return vlm::global_metrics().prometheus_text(); });
  if (sync_worker) sync_worker->start();
  const int port = server.bind();
  const std::string host = settings.is_set("host") ? settings.get("host") : (settings.is_set("auth_file") ? "0.0.0.0" : "127.0.0.1");
  spdlog::info("listening on {}://{}:{} (data dir {}, auth {}, TLS {})", server.tls() ? "https" : "http", host, port,
               settings.get("data_dir"), settings.is_set("auth_file") ? "on" : "off", server.tls() ? "on" : "off");
  if (server.web_port() > 0)
    spdlog::info("web page also on {}://{}:{}", server.tls() ? "https" : "http", host, server.web_port());
  if (!serve::is_loopback_host(host) && !settings.is_set("auth_file"))
    spdlog::warn("listening on {} without an auth file: anyone on the network can use the service and read the "
                 "archive (use --auth-file)", host);

  std::atomic<bool> finished{false};
  std::thread signal_thread([&server, &finished, signals] {
    int received = 0;
    sigwait(&signals, &received);
    if (finished) return;  // woken by the main thread below
    spdlog::info("signal {}: stopping (finishing running requests)", received);
    // Repeat until run() returns: a signal that lands while the listener is still starting
    // would otherwise be missed.
    while (!finished) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  server.run();
  finished = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wake it if no signal came
  signal_thread.join();
  if (sync_worker) sync_worker->stop();
  spdlog::info("stopped; archive closed");
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("serve", "Run the OCR service: REST API, web page and local archive");
  cmd->footer(
      "Every setting also comes from its environment variable or config-file key; precedence is\n"
      "flag > environment > config file > default. Config file: TOML, e.g.\n"
      "  port = 8000\n  data_dir = \"/var/lib/edgeocr\"\n  [limits]\n  queue_length = 32\n");
  auto command_settings = std::make_shared<settings::CommandSettings>(*cmd, serve::serve_specs());
  auto hash_password = std::make_shared<bool>(false);
  auto new_key = std::make_shared<bool>(false);
  cmd->add_flag("--hash-password", *hash_password,
                "read a password from stdin and print its pbkdf2-sha256 entry for the auth file, then exit");
  cmd->add_flag("--new-api-key", *new_key, "print a new random API key and its sha256 entry for the auth file, then exit");
  auto print_config = std::make_shared<bool>(false);
  cmd->add_flag("--print-config", *print_config, "print a config file with every key and its default, then exit");

  cmd->callback([command_settings, hash_password, new_key, print_config, &exit_code] {
    try {
      if (*print_config) {
        std::cout << settings::default_config_text();
        return;
      }
      if (*hash_password) {
        std::string password;
        std::getline(std::cin, password);
        if (password.empty()) throw settings::ConfigError("empty password on stdin");
        std::cout << serve::hash_password(password) << "\n";
        return;
      }
      if (*new_key) {
        const auto [key, entry] = serve::new_api_key();
        std::cout << "key:   " << key << "\nentry: " << entry << "\n";
        return;
      }
      exit_code = run_server(command_settings->resolve());
    } catch (const std::exception& e) {
      std::cerr << "edgeocr serve: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
