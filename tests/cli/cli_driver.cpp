// The `ocr` and `bench` subcommands in a binary of their own, registered exactly as
// src/cli/main.cpp does: lets the CLI tests run without linking every other area.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/run.h"

int main(int argc, char** argv) {
  CLI::App app{"EdgeOCR OCR commands (test driver)"};
  app.require_subcommand(1);
  int exit_code = 0;
  edgeocr::cli::register_ocr_command(app, exit_code);
  edgeocr::cli::register_bench_command(app, exit_code);
  return edgeocr::cli::run_command_line(app, argc, argv, exit_code);
}
