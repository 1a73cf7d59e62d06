// `edgeocr sync --once|--watch|status|requeue|backfill|keygen` and `edgeocr collect`.
#include <signal.h>

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "settings/cli.h"
#include "sync/archive_link.h"
#include "sync/collector.h"
#include "sync/envelope.h"
#include "sync/outbox.h"
#include "sync/sender_lock.h"
#include "sync/sync_client.h"

namespace edgeocr::cli {
namespace {

struct SyncArgs {
  std::string data_dir;
  settings::Settings settings;  // data_dir and sync.*
  bool once = false;
  bool watch = false;
  bool json = false;
  std::string key_out;
  std::string since;  // backfill --since YYYY-MM-DD
};

std::filesystem::path existing_database(const SyncArgs& args) {
  std::filesystem::path db = sync::archive_database_file(args.data_dir);
  if (!std::filesystem::exists(db)) throw std::invalid_argument("no archive database at " + db.string());
  return db;
}

std::string age_text(int64_t since_unix_ms) {
  int64_t seconds = std::max<int64_t>(0, (sync::unix_now_ms() - since_unix_ms) / 1000);
  return std::to_string(seconds) + " s";
}

int run_status(const SyncArgs& args) {
  std::filesystem::path db = sync::archive_database_file(args.data_dir);
  if (!std::filesystem::exists(db)) throw std::invalid_argument("no archive database at " + db.string());
  sync::Outbox outbox(db);
  sync::OutboxStatus s = outbox.status();
  if (args.json) {
    nlohmann::json j = {{"pending", s.pending},
                        {"dead_letter", s.dead_letter},
                        {"delivered_total", s.delivered_total},
                        {"last_error", s.last_error}};
    j["oldest_pending_age_s"] = s.oldest_pending_unix_ms ? (sync::unix_now_ms() - *s.oldest_pending_unix_ms) / 1000.0 : 0.0;
    j["last_success"] = s.last_success_unix_ms ? nlohmann::json(sync::format_utc(*s.last_success_unix_ms)) : nlohmann::json();
    j["last_error_at"] = s.last_error_unix_ms ? nlohmann::json(sync::format_utc(*s.last_error_unix_ms)) : nlohmann::json();
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "pending:            " << s.pending << "\n"
            << "oldest pending age: " << (s.oldest_pending_unix_ms ? age_text(*s.oldest_pending_unix_ms) : "-") << "\n"
            << "last success:       "
            << (s.last_success_unix_ms ? sync::format_utc(*s.last_success_unix_ms) + " (" + age_text(*s.last_success_unix_ms) + " ago)" : "never")
            << "\n"
            << "last error:         "
            << (s.last_error.empty() ? "-" : (s.last_error_unix_ms ? sync::format_utc(*s.last_error_unix_ms) + " " : "") + s.last_error)
            << "\n"
            << "delivered total:    " << s.delivered_total << "\n"
            << "dead letter:        " << s.dead_letter
            << (s.dead_letter > 0 ? " (refused by the collector; `edgeocr sync requeue` retries them)" : "") << "\n";
  return 0;
}

int run_requeue(const SyncArgs& args) {
  sync::Outbox outbox(existing_database(args));
  int64_t moved = outbox.requeue_dead_letters();
  std::cout << "requeued " << moved << " dead-lettered records\n";
  return 0;
}

int run_backfill(const SyncArgs& args) {
  std::filesystem::path db = existing_database(args);
  int64_t enqueued = sync::backfill_outbox(args.data_dir, args.since);
  std::cout << "enqueued " << enqueued << " archived records" << (args.since.empty() ? "" : " since " + args.since)
            << " (" << db.string() << ")\n";
  return 0;
}

int run_once(const SyncArgs& args) {
  sync::SyncConfig config = sync::SyncConfig::from_settings(args.settings);
  std::filesystem::path db = sync::archive_database_file(args.data_dir);
  if (!std::filesystem::exists(db)) throw std::invalid_argument("no archive database at " + db.string());
  std::string holder;
  std::optional<sync::SenderLock> lock = sync::SenderLock::try_acquire(args.data_dir, &holder);
  if (!lock) {
    std::cerr << "edgeocr sync: " << holder << " already sends from " << args.data_dir << " ("
              << sync::SenderLock::file(args.data_dir).string()
              << " is locked, e.g. by `edgeocr serve` with sync configured); not sending\n";
    return 1;
  }
  const int64_t backfilled = sync::backfill_outbox(args.data_dir, "");
  if (backfilled > 0) std::cout << "enqueued " << backfilled << " archived records that were never sent\n";
  sync::Outbox outbox(db);
  sync::SyncClient client(config, args.data_dir);
  sync::DrainResult result = sync::drain_outbox(outbox, client);
  std::cout << "delivered " << result.records << " records";
  if (result.tombstones > 0) std::cout << " and " << result.tombstones << " deletions";
  std::cout << " in " << result.batches << " batches (" << result.wire_bytes << " bytes on the wire)\n";
  if (result.dead_lettered > 0) {
    std::cerr << "edgeocr sync: the collector refused " << result.dead_lettered
              << " records on their own; they are in the dead-letter table (`edgeocr sync status`, "
                 "`edgeocr sync requeue`)\n";
  }
  if (!result.ok) {
    std::cerr << "edgeocr sync: " << result.error << "\n";
    return 1;
  }
  return 0;
}

// Runs the same background worker as `edgeocr serve` until SIGTERM/SIGINT.
int run_watch(const SyncArgs& args) {
  sync::SyncConfig config = sync::SyncConfig::from_settings(args.settings);
  std::filesystem::path db = sync::archive_database_file(args.data_dir);
  if (!std::filesystem::exists(db)) throw std::invalid_argument("no archive database at " + db.string());
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  sync::SyncWorker worker(config, args.data_dir, db);
  worker.start();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  worker.stop();
  return 0;
}

}  // namespace

void register_sync_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SyncArgs>();
  CLI::App* cmd = app.add_subcommand("sync", "Push archived records to the head-office collector (store-and-forward)");
  auto command_settings = std::make_shared<settings::CommandSettings>(*cmd, settings::specs_named({"data_dir", "sync."}));
  cmd->add_flag("--once", args->once, "Drain the outbox once, then exit (for cron / systemd timers)");
  cmd->add_flag("--watch", args->watch, "Keep syncing every sync.interval seconds until SIGTERM (as `serve` does)");
  CLI::App* status = cmd->add_subcommand("status", "Print pending count, oldest pending age, last success and last error");
  status->fallthrough();
  status->add_flag("--json", args->json, "Machine-readable output");
  CLI::App* requeue = cmd->add_subcommand(
      "requeue", "Move dead-lettered records (refused by the collector) back into the outbox and print how many");
  requeue->fallthrough();
  CLI::App* backfill = cmd->add_subcommand(
      "backfill", "Enqueue archived records never sent (e.g. archived before sync was configured); prints how many");
  backfill->fallthrough();
  backfill->add_option("--since", args->since, "Only records created on or after this day (YYYY-MM-DD, UTC)");
  CLI::App* keygen = cmd->add_subcommand("keygen", "Write a new random 256-bit store key (mode 0600) and print its key id");
  keygen->add_option("--out", args->key_out, "Key file to create (refuses to overwrite)")->required();
  cmd->require_subcommand(0, 1);
  cmd->callback([args, command_settings, status, requeue, backfill, keygen, cmd, &exit_code] {
    ::signal(SIGPIPE, SIG_IGN);  // a peer closing a TLS connection must be an error value, not death
    try {
      args->settings = command_settings->resolve();
      args->data_dir = args->settings.get("data_dir");
      if (*keygen) {
        sync::write_new_key_file(args->key_out);
        std::cout << "key id " << sync::load_key_file(args->key_out).key_id << " written to " << args->key_out << "\n";
        exit_code = 0;
      } else if (*status) {
        exit_code = run_status(*args);
      } else if (*requeue) {
        exit_code = run_requeue(*args);
      } else if (*backfill) {
        exit_code = run_backfill(*args);
      } else if (args->once) {
        exit_code = run_once(*args);
      } else if (args->watch) {
        exit_code = run_watch(*args);
      } else {
        std::cerr << cmd->help();
        exit_code = 2;
      }
    } catch (const std::exception& e) {
      std::cerr << "edgeocr sync: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

void register_collect_command(CLI::App& app, int& exit_code) { register_collect_command(app, exit_code, {}); }

void register_collect_command(CLI::App& app, int& exit_code, const sync::CollectorHooks& hooks) {
  CLI::App* cmd = app.add_subcommand("collect", "Head-office collector: receive sync batches into PostgreSQL");
  auto command_settings = std::make_shared<settings::CommandSettings>(*cmd, settings::specs_named({"collect."}));
  cmd->callback([command_settings, hooks, &exit_code] {
    ::signal(SIGPIPE, SIG_IGN);
    try {
      const settings::Settings s = command_settings->resolve();
      for (const char* required : {"collect.tls_cert", "collect.tls_key", "collect.keys_dir", "collect.pg"}) {
        if (!s.is_set(required))
          throw settings::ConfigError(std::string(required) + " is required (" + settings::find_spec(required)->flag +
                                      ", " + settings::find_spec(required)->env + " or the config file)");
      }
      sync::CollectorOptions options;
      sync::parse_listen_address(s.get("collect.listen"), options.host, options.port);
      options.tls_cert = s.get("collect.tls_cert");
      options.tls_key = s.get("collect.tls_key");
      options.client_ca = s.get("collect.client_ca");
      options.keys_dir = s.get("collect.keys_dir");
      options.pg = s.get("collect.pg");
      options.max_body_bytes = static_cast<size_t>(s.get_int("collect.max_body_mb")) << 20;
      options.hooks = hooks;
      exit_code = sync::run_collector(options);
    } catch (const std::exception& e) {
      std::cerr << "edgeocr collect: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
