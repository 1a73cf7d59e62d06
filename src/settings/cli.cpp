#include "settings/cli.h"

#include <algorithm>

#include "common/text.h"

namespace edgeocr::settings {
namespace {

std::string describe(const Spec& spec) {
  std::string text = spec.help;
  if (!spec.choices.empty()) {
    text += " (";
    for (size_t i = 0; i < spec.choices.size(); ++i) text += (i ? " | " : "") + spec.choices[i];
    text += ")";
  }
  return text + "  [env " + spec.env + (spec.key == "config" ? "" : "; config key " + spec.key) + "]";
}

}  // namespace

CommandSettings::CommandSettings(CLI::App& command, std::vector<const Spec*> specs) : specs_(std::move(specs)) {
  if (std::none_of(specs_.begin(), specs_.end(), [](const Spec* s) { return s->key == "config"; }))
    specs_.insert(specs_.begin(), find_spec("config"));
  for (const Spec* spec : specs_) {
    CLI::Option* option = command.add_option(spec->flag, (*values_)[spec->key], describe(*spec));
    option->type_name(common::ascii_upper(type_name(spec->type)));
    if (!spec->default_value.empty()) option->default_str(spec->default_value);
    options_[spec->key] = option;
  }
}

std::map<std::string, std::string> CommandSettings::given_flags() const {
  std::map<std::string, std::string> flags;
  for (const auto& [key, option] : options_)
    if (option->count() > 0) flags[key] = values_->at(key);
  return flags;
}

Settings CommandSettings::resolve(const GetEnv& getenv) const {
  return settings::resolve(specs_, given_flags(), getenv);
}

}  // namespace edgeocr::settings
