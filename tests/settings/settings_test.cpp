#include "settings/settings.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "settings/cli.h"

namespace edgeocr::settings {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("edgeocr-settings-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".toml")) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

GetEnv env_of(const std::map<std::string, std::string>& values) {
  return [values](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

const std::vector<const Spec*> kServeLike = specs_named({"config", "port", "threads", "data_dir", "model_path",
                                                         "host", "limits.", "vlm."});

TEST(Settings, PrecedenceIsFlagThenEnvThenConfigThenDefault) {
  TempFile config("port = 9000\nthreads = 3\ndata_dir = \"/srv/cfg\"\n[limits]\nqueue_length = 5\n"
                  "[vlm]\ntimeout = 12\n");
  const auto s = resolve(kServeLike, {{"port", "9200"}},
                         env_of({{"EDGEOCR_PORT", "9100"}, {"EDGEOCR_THREADS", "4"}, {"EDGEOCR_CONFIG", config.path()}}));
  EXPECT_EQ(s.get_int("port"), 9200);
  EXPECT_EQ(s.source("port"), "flag");
  EXPECT_EQ(s.get_int("threads"), 4);
  EXPECT_EQ(s.source("threads"), "env");
  EXPECT_EQ(s.get("data_dir"), "/srv/cfg");
  EXPECT_EQ(s.source("data_dir"), "config");
  EXPECT_EQ(s.get_int("limits.queue_length"), 5);
  EXPECT_DOUBLE_EQ(s.get_double("vlm.timeout"), 12);  // an integer where a number is declared
  EXPECT_EQ(s.get("model_path"), "");
  EXPECT_EQ(s.source("model_path"), "default");
  EXPECT_FALSE(s.is_set("host"));
  EXPECT_EQ(s.get_int("limits.max_connections"), 256);
  EXPECT_EQ(s.config_file(), config.path());
  // A setting the command did not ask for is not silently defaulted.
  EXPECT_THROW(s.get("sync.url"), ConfigError);
}

TEST(Settings, ConfigFlagBeatsConfigEnvironmentVariable) {
  TempFile from_flag("port = 7001\n"), from_env("port = 7002\n");
  const auto s = resolve(kServeLike, {{"config", from_flag.path()}}, env_of({{"EDGEOCR_CONFIG", from_env.path()}}));
  EXPECT_EQ(s.get_int("port"), 7001);
}

TEST(Settings, TypeErrorsNameTheSettingTheValueAndWhereItCameFrom) {
  const auto none = env_of({});
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"port", "eighty"}}, none); }).find("port (--port): 'eighty' is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {}, env_of({{"EDGEOCR_QUEUE_LENGTH", "lots"}})); })
                .find("EDGEOCR_QUEUE_LENGTH"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"port", "70000"}}, none); }).find("out of range (1..65535)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"vlm.language", "fr"}}, none); }).find("one of zh, en"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"vlm.low_confidence_routing", "maybe"}}, none); }).find("true or false"),
            std::string::npos);
  // In the file the TOML type must match the declaration.
  TempFile quoted("port = \"8000\"\n"), fractional("[limits]\nqueue_length = 2.5\n"), bare("[vlm]\nlanguage = 1\n");
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"config", quoted.path()}}, none); }).find(":1: port must be an integer, not a string"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"config", fractional.path()}}, none); }).find("must be an integer, not a number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve(kServeLike, {{"config", bare.path()}}, none); }).find("quote it: language = \"1\""),
            std::string::npos);
}

TEST(Settings, UnknownKeysAreErrorsThatNameTheNearestKey) {
  EXPECT_NE(error_of([] { parse_config("prot = 80\n", "my.toml"); }).find("my.toml:1: unknown key 'prot' (did you mean 'port'?)"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_config("[limits]\nqueue_lenght = 4\n", "my.toml"); }).find("did you mean 'limits.queue_length'"),
            std::string::npos);
  // The right name in the wrong section.
  EXPECT_NE(error_of([] { parse_config("max_body_mb = 4\n", "my.toml"); }).find("did you mean 'limits.max_body_mb'"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_config("[sync]\nstore-idd = \"x\"\n", "my.toml"); }).find("did you mean 'sync.store_id'"),
            std::string::npos);
  EXPECT_NE(error_of([] { resolve(kServeLike, {{"prot", "1"}}, env_of({})); }).find("did you mean 'port'"),
            std::string::npos);
  EXPECT_EQ(nearest_key("vlm.max_inflite"), "vlm.max_inflight");
}

TEST(Settings, ReadsTheTomlUsersAlreadyHave) {
  const auto values = parse_config(R"(# EdgeOCR
host = "0.0.0.0"   # all interfaces
port = 8080
model-path = 'C:\models'
sync.url = "https://ho.example:9443/edge"
[limits]
max_body_mb = 2.5
queue_length = 4
[vlm]
low_confidence_routing = false
model = "say \"hi\"\t!"
)",
                                   "edgeocr.toml");
  EXPECT_EQ(values.at("host"), "0.0.0.0");
  EXPECT_EQ(values.at("port"), "8080");
  EXPECT_EQ(values.at("model_path"), "C:\\models");
  EXPECT_EQ(values.at("sync.url"), "https://ho.example:9443/edge");
  EXPECT_EQ(values.at("limits.max_body_mb"), "2.5");
  EXPECT_EQ(values.at("limits.queue_length"), "4");
  EXPECT_EQ(values.at("vlm.low_confidence_routing"), "false");
  EXPECT_EQ(values.at("vlm.model"), "say \"hi\"\t!");
}

TEST(Settings, MalformedTomlNamesFileLineAndColumn) {
  EXPECT_NE(error_of([] { parse_config("port = 1\nhost\n", "my.toml"); }).find("my.toml:2:"), std::string::npos);
  EXPECT_NE(error_of([] { parse_config("host = \"open\n", "my.toml"); }).find("my.toml:1:"), std::string::npos);
  EXPECT_NE(error_of([] { parse_config("port = 1\nport = 2\n", "my.toml"); }).find("my.toml:2:"), std::string::npos);
  EXPECT_NE(error_of([] { parse_config("[limits]\nqueue_length = [1, 2]\n", "my.toml"); }).find("arrays"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_config("[sync]\nimages = none\n", "my.toml"); }).find("need quotes: images = \"none\""),
            std::string::npos);
  EXPECT_NE(error_of([] { read_config_file("/nonexistent/edgeocr.toml"); }).find("cannot read config file"),
            std::string::npos);
}

TEST(Settings, DefaultConfigListsEveryKeyWithItsDefault) {
  const std::string text = default_config_text();
  EXPECT_TRUE(parse_config(text, "commented").empty());  // as shipped, it changes nothing
  std::string uncommented;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const bool setting = line.size() > 1 && line[0] == '#' && std::isalpha(static_cast<unsigned char>(line[1])) &&
                         line.find(" = ") != std::string::npos;
    uncommented += (setting ? line.substr(1) : line) + "\n";
  }
  const auto values = parse_config(uncommented, "uncommented");
  for (const auto& spec : all_specs()) {
    if (spec.key == "config") continue;
    ASSERT_TRUE(values.count(spec.key)) << spec.key << " missing from the default config";
    EXPECT_EQ(values.at(spec.key), checked_value(spec, spec.default_value, "default")) << spec.key;
  }
  EXPECT_EQ(values.size(), all_specs().size() - 1);
}

TEST(Settings, DeclarationsAreUniqueAndDefaultsFitThem) {
  std::map<std::string, int> keys, envs;
  for (const auto& spec : all_specs()) {
    EXPECT_EQ(++keys[spec.key], 1) << spec.key;
    EXPECT_EQ(++envs[spec.env], 1) << spec.env;
    if (!spec.default_value.empty()) {
      EXPECT_NO_THROW(checked_value(spec, spec.default_value, "default")) << spec.key;
    }
  }
}

TEST(CommandSettings, HelpShowsTypesDefaultsAndWhereElseASettingComesFrom) {
  CLI::App app;
  CommandSettings command(app, specs_named({"port", "vlm.language"}));
  const std::string help = app.help();
  EXPECT_NE(help.find("--port INT"), std::string::npos) << help;
  EXPECT_NE(help.find("8000"), std::string::npos) << help;
  EXPECT_NE(help.find("EDGEOCR_PORT"), std::string::npos) << help;
  EXPECT_NE(help.find("--vlm-language STRING"), std::string::npos) << help;
  EXPECT_NE(help.find("zh | en"), std::string::npos) << help;
  EXPECT_NE(help.find("--config"), std::string::npos) << help;
  const char* argv[] = {"t", "--port", "9300"};
  app.parse(3, const_cast<char**>(argv));
  EXPECT_EQ(command.given_flags(), (std::map<std::string, std::string>{{"port", "9300"}}));
  const auto s = command.resolve(env_of({{"EDGEOCR_VLM_LANGUAGE", "en"}}));
  EXPECT_EQ(s.get_int("port"), 9300);
  EXPECT_EQ(s.get("vlm.language"), "en");
}

}  // namespace
}  // namespace edgeocr::settings
