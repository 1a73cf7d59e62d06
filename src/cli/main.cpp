// `edgeocr`: one binary, one subcommand per capability.
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every usage error exits 2 (CLI11's own codes are not documented).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "edgeocr: error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
