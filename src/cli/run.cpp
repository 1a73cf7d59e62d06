#include "cli/run.h"

#include <exception>
#include <iostream>
#include <string>

namespace edgeocr::cli {
namespace {

// "edgeocr fields train": the command line's parsed subcommands, to name the one that failed.
std::string command_name(const CLI::App& app) {
  std::string name = "edgeocr";
  for (const CLI::App* command = &app; !command->get_subcommands().empty();) {
    command = command->get_subcommands().front();
    name += " " + command->get_name();
  }
  return name;
}

}  // namespace

int run_command_line(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes are not documented, so every usage error is 2.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << command_name(app) << ": error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}

}  // namespace edgeocr::cli
