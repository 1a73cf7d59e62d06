// Test driver binary: the real `sync` and `collect` subcommands (same register functions as
// `edgeocr`, so the sync suite does not need the OCR engine built) plus `seed`, which archives
// synthetic records on the edge the way `edgeocr serve` does.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "sync/collector.h"
#include "seed.h"

int main(int argc, char** argv) {
  CLI::App app{"edgeocr sync test driver"};
  app.require_subcommand(1);
  int exit_code = 0;
  edgeocr::cli::register_sync_command(app, exit_code);

  // Faults at the collector's critical points, set by flags of this driver only.
  struct CollectorFaults {
    int delay_ms = 0;           // before each batch: makes a sync observable mid-way
    int kill_after_commit = 0;  // SIGKILL after the N-th batch's COMMIT, before its acknowledgement
    std::atomic<int> committed{0};
  };
  auto faults = std::make_shared<CollectorFaults>();
  edgeocr::sync::CollectorHooks hooks;
  hooks.before_batch = [faults] {
    if (faults->delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(faults->delay_ms));
  };
  hooks.after_commit = [faults] {
    if (faults->kill_after_commit > 0 && ++faults->committed == faults->kill_after_commit) ::kill(::getpid(), SIGKILL);
  };
  edgeocr::cli::register_collect_command(app, exit_code, hooks);
  CLI::App* collect = app.get_subcommand("collect");
  collect->add_option("--fault-delay-ms", faults->delay_ms, "sleep this long before handling each batch");
  collect->add_option("--fault-kill-after-commit", faults->kill_after_commit,
                      "SIGKILL the collector after the N-th batch's COMMIT, before its acknowledgement");
  edgeocr::cli::register_archive_command(app, exit_code);

  edgeocr::sync::testing::SeedOptions seed;
  CLI::App* cmd = app.add_subcommand("seed", "Archive synthetic records (with their outbox rows)");
  cmd->add_option("--data-dir", seed.data_dir)->required();
  cmd->add_option("--count", seed.count)->required();
  cmd->add_option("--start", seed.start);
  cmd->add_option("--payload-bytes", seed.payload_bytes);
  cmd->add_option("--image-every", seed.image_every, "attach a generated JPEG to every k-th record (0: none)");
  cmd->add_option("--lines", seed.lines, "OCR lines per result");
  cmd->add_option("--image-file", seed.image_file, "copy this file as each image instead of generating one");
  cmd->add_option("--corpus", seed.corpus_dir, "folder with img/*.jpg + box/*.csv (e.g. the SROIE eval set)");
  cmd->add_flag("--outbox-only", seed.outbox_only, "bulk-write outbox rows only (fast volume for back-pressure)");
  cmd->add_flag("--without-sync", seed.without_sync, "archive without the outbox hook (sync not configured)");
  cmd->callback([&] { edgeocr::sync::testing::seed_records(seed); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
