// `edgeocr`: one binary, one subcommand per capability.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
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
