// Parses and runs an `edgeocr` command line on an app whose subcommands are registered
// (cli/commands.h): the one place that turns parse errors and a subcommand's exceptions into
// messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace edgeocr::cli {

// --help/--version: 0; a usage error: 2; an exception from a subcommand: one line
// "edgeocr SUBCOMMAND: error: ..." and 1; otherwise `exit_code` as the subcommand set it.
int run_command_line(CLI::App& app, int argc, char** argv, const int& exit_code);

}  // namespace edgeocr::cli
