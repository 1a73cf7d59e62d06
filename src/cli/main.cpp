// `edgeocr`: one binary, one subcommand per capability.
#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/run.h"

namespace {

// OpenMP worker threads (ours and oneDNN's) spin while they wait for work by default; on a PC
// shared with other programs that spinning steals the cores the work needs (several times
// slower under load). libgomp reads OMP_WAIT_POLICY once, when it is loaded, before main(),
// so when the user has not chosen a policy we set "passive" and start over with it.
void wait_passively_in_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run with the default policy
}

}  // namespace

int main(int argc, char** argv) {
  wait_passively_in_openmp(argv);
  CLI::App app{"EdgeOCR: local OCR engine, service and tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeocr 0.1.0");
  int exit_code = 0;
  edgeocr::cli::register_ocr_command(app, exit_code);
  edgeocr::cli::register_bench_command(app, exit_code);
  edgeocr::cli::register_eval_command(app, exit_code);
  edgeocr::cli::register_fields_command(app, exit_code);
  edgeocr::cli::register_sync_command(app, exit_code);
  edgeocr::cli::register_collect_command(app, exit_code);
  edgeocr::cli::register_archive_command(app, exit_code);
  edgeocr::cli::register_serve_command(app, exit_code);
  edgeocr::cli::register_vlm_command(app, exit_code);
  return edgeocr::cli::run_command_line(app, argc, argv, exit_code);
}
