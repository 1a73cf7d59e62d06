// Test driver binary: the real `sync` and `collect` subcommands (same register functions as
// `edgeocr`, so the sync suite does not need the OCR engine built) plus `seed`, which archives
// synthetic records on the edge the way `edgeocr serve` does.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "seed.h"

int main(int argc, char** argv) {
  CLI::App app{"edgeocr sync test driver"};
  app.require_subcommand(1);
  int exit_code = 0;
  edgeocr::cli::register_sync_command(app, exit_code);
  edgeocr::cli::register_collect_command(app, exit_code);
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
