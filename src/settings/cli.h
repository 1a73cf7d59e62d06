// Settings as command-line flags: one CLI11 option per declared setting, with its type, default,
// environment variable and config key in `--help`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "settings/settings.h"

namespace edgeocr::settings {

class CommandSettings {
 public:
  // Adds a flag for each of `specs` (and --config) to `command`.
  CommandSettings(CLI::App& command, std::vector<const Spec*> specs);
  // The flags given on the command line, key -> text.
  std::map<std::string, std::string> given_flags() const;
  // flag > environment > config file > default for the settings of this command.
  Settings resolve(const GetEnv& getenv = process_env) const;

 private:
  std::vector<const Spec*> specs_;
  // std::map nodes are stable, so CLI11 may keep pointers into it.
  std::shared_ptr<std::map<std::string, std::string>> values_ = std::make_shared<std::map<std::string, std::string>>();
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace edgeocr::settings
