// The `ocr` and `bench` subcommands in a binary of their own, registered exactly as
// src/cli/main.cpp does: lets the CLI tests run without linking every other area.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"EdgeOCR OCR commands (test driver)"};
  app.require_subcommand(1);
  int exit_code = 0;
  edgeocr::cli::register_ocr_command(app, exit_code);
  edgeocr::cli::register_bench_command(app, exit_code);
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
