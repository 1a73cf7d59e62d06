// `edgeocr archive prune`: the retention policy (retention.images_days / retention.records_days)
// applied once, e.g. from cron on a machine where `edgeocr serve` does not run all the time.
// It lives beside sync because, with sync configured, records head office has not acknowledged
// are never pruned.
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "store/archive.h"
#include "sync/archive_link.h"
#include "settings/cli.h"

namespace edgeocr::cli {
namespace {

int run_prune(const settings::Settings& settings) {
  const std::string data_dir = settings.get("data_dir");
  if (!std::filesystem::exists(store::Archive::database_file(data_dir)))
    throw std::invalid_argument("no archive database in " + data_dir);
  const store::RetentionPolicy policy{settings.get_double("retention.images_days"),
                                      settings.get_double("retention.records_days")};
  const bool sync_on = settings.is_set("sync.url");
  store::ArchiveOptions options;
  options.data_dir = data_dir;
  sync::add_outbox_to(options, sync_on);  // with sync on: undelivered records are held
  store::Archive archive(options);
  const store::PruneResult result = archive.prune(policy);
  std::cout << "pruned " << result.records_removed << " records and the images of " << result.images_cleared
            << " more (" << result.files_removed << " image files deleted)"
            << (sync_on ? "; records not yet acknowledged by head office were kept" : "") << "\n";
  return 0;
}

}  // namespace

void register_archive_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("archive", "Maintain the local archive");
  CLI::App* prune = cmd->add_subcommand(
      "prune", "Apply retention.images_days / retention.records_days once (`edgeocr serve` does it every hour)");
  auto command_settings =
      std::make_shared<settings::CommandSettings>(*prune, settings::specs_named({"data_dir", "retention.", "sync.url"}));
  cmd->require_subcommand(1);
  prune->callback([command_settings, &exit_code] {
    try {
      exit_code = run_prune(command_settings->resolve());
    } catch (const std::exception& e) {
      std::cerr << "edgeocr archive prune: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
