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
#include "sync/sync_client.h"

namespace edgeocr::cli {
namespace {

struct PruneArgs {
  std::string data_dir = "./data";
  std::string config_file;
  std::optional<double> images_days, records_days;
};

double days_value(const std::map<std::string, std::string>& keys, const std::string& key) {
  auto it = keys.find(key);
  if (it == keys.end() || it->second.empty()) return 0;
  try {
    size_t used = 0;
    const double days = std::stod(it->second, &used);
    if (used != it->second.size() || days < 0) throw std::invalid_argument("range");
    return days;
  } catch (const std::exception&) {
    throw std::invalid_argument(key + " must be a number of days >= 0 (got '" + it->second + "')");
  }
}

int run_prune(const PruneArgs& args) {
  if (!std::filesystem::exists(store::Archive::database_file(args.data_dir)))
    throw std::invalid_argument("no archive database in " + args.data_dir);
  store::RetentionPolicy policy;
  bool sync_on = false;
  if (!args.config_file.empty()) {
    const auto retention = sync::read_config_keys(args.config_file, "retention.");
    policy.images_days = days_value(retention, "retention.images_days");
    policy.records_days = days_value(retention, "retention.records_days");
    const auto sync_keys = sync::read_sync_keys(args.config_file);
    sync_on = sync_keys.count("sync.url") > 0 && !sync_keys.at("sync.url").empty();
  }
  if (args.images_days) policy.images_days = *args.images_days;
  if (args.records_days) policy.records_days = *args.records_days;
  store::ArchiveOptions options;
  options.data_dir = args.data_dir;
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
  auto args = std::make_shared<PruneArgs>();
  CLI::App* cmd = app.add_subcommand("archive", "Maintain the local archive");
  CLI::App* prune = cmd->add_subcommand(
      "prune", "Apply retention.images_days / retention.records_days once (`edgeocr serve` does it every hour)");
  prune->add_option("--data-dir", args->data_dir, "Archive folder (as for `edgeocr serve`)")->capture_default_str();
  prune->add_option("--config", args->config_file, "Config file with the retention.* (and sync.*) keys");
  prune->add_option("--images-days", args->images_days, "Override retention.images_days (0: keep images)");
  prune->add_option("--records-days", args->records_days, "Override retention.records_days (0: keep records)");
  cmd->require_subcommand(1);
  prune->callback([args, &exit_code] {
    try {
      exit_code = run_prune(*args);
    } catch (const std::exception& e) {
      std::cerr << "edgeocr archive prune: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
