#include "serve/settings.h"

#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "serve/engine_factory.h"
#include "serve_test_support.h"

using namespace edgeocr::serve;

TEST(TomlSubset, ParsesSectionsStringsNumbersAndBools) {
  const auto values = parse_toml_subset(R"(# EdgeOCR
host = "0.0.0.0"   # all interfaces
port = 8080
model-path = 'C:\models'
[limits]
max_body_mb = 2.5
queue_length = 4
tls = false
name = "say \"hi\"\t!"
)");
  EXPECT_EQ(values.at("host"), "0.0.0.0");
  EXPECT_EQ(values.at("port"), "8080");
  EXPECT_EQ(values.at("model_path"), "C:\\models");
  EXPECT_EQ(values.at("limits.max_body_mb"), "2.5");
  EXPECT_EQ(values.at("limits.queue_length"), "4");
  EXPECT_EQ(values.at("limits.tls"), "false");
  EXPECT_EQ(values.at("limits.name"), "say \"hi\"\t!");
}

TEST(TomlSubset, RejectsMalformedLinesWithTheirNumber) {
  const auto error_of = [](const std::string& text) {
    try {
      parse_toml_subset(text, "my.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("port = 1\nhost\n").find("my.toml:2"), std::string::npos);
  EXPECT_NE(error_of("host = \"open\n").find("my.toml:1"), std::string::npos);
  EXPECT_NE(error_of("host = bare words\n").find("my.toml:1"), std::string::npos);
  EXPECT_NE(error_of("[limits\n").find("my.toml:1"), std::string::npos);
  EXPECT_NE(error_of("port = 1\nport = 2\n").find("set twice"), std::string::npos);
}

TEST(Settings, PrecedenceIsFlagThenEnvThenConfigThenDefault) {
  fixtures::TempDir dir;
  const auto config = dir.path() / "edgeocr.toml";
  std::ofstream(config) << "port = 9000\nthreads = 3\ndata_dir = \"/srv/cfg\"\n[limits]\nqueue_length = 5\n";
  std::map<std::string, std::string> env = {{"EDGEOCR_PORT", "9100"}, {"EDGEOCR_THREADS", "4"},
                                            {"EDGEOCR_CONFIG", config.string()}};
  const auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const auto s = resolve_settings({{"port", "9200"}}, getenv);
  EXPECT_EQ(s.get_int("port"), 9200);
  EXPECT_EQ(s.source("port"), "flag");
  EXPECT_EQ(s.get_int("threads"), 4);
  EXPECT_EQ(s.source("threads"), "env");
  EXPECT_EQ(s.get("data_dir"), "/srv/cfg");
  EXPECT_EQ(s.source("data_dir"), "config");
  EXPECT_EQ(s.get_int("limits.queue_length"), 5);
  EXPECT_EQ(s.get("model_path"), "");  // unset: ocr::locate_model_dir searches
  EXPECT_EQ(s.source("model_path"), "default");
  EXPECT_FALSE(s.is_set("host"));  // so the server binds 127.0.0.1 without auth
}

TEST(Settings, RejectsBadTypesUnknownKeysAndMissingConfig) {
  fixtures::TempDir dir;
  const auto none = [](const char*) -> const char* { return nullptr; };
  EXPECT_THROW(resolve_settings({{"port", "eighty"}}, none), ConfigError);
  const auto bad_env = [](const char* name) -> const char* {
    return std::string(name) == "EDGEOCR_QUEUE_LENGTH" ? "lots" : nullptr;
  };
  EXPECT_THROW(resolve_settings({}, bad_env), ConfigError);
  const auto config = dir.path() / "bad.toml";
  std::ofstream(config) << "prot = 80\n";
  EXPECT_THROW(resolve_settings({{"config", config.string()}}, none), ConfigError);
  EXPECT_THROW(resolve_settings({{"config", (dir.path() / "missing.toml").string()}}, none), ConfigError);
}

TEST(Settings, DeviceCudaFailsWithAClearMessage) {
  try {
    check_device("cuda:0");
    FAIL() << "cuda:0 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA support"), std::string::npos);
  }
  EXPECT_NO_THROW(check_device("cpu"));
  EXPECT_THROW(check_device("tpu"), ConfigError);
}

TEST(Settings, DefaultConfigListsEveryKeyWithItsDefault) {
  const std::string text = default_config_text();
  EXPECT_TRUE(parse_toml_subset(text, "commented").empty());  // as shipped, it changes nothing
  // Uncommenting every `#key = value` line must give a valid file holding every default.
  std::string uncommented;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const bool setting = line.size() > 1 && line[0] == '#' && std::isalpha(static_cast<unsigned char>(line[1])) &&
                         line.find(" = ") != std::string::npos;
    uncommented += (setting ? line.substr(1) : line) + "\n";
  }
  const auto values = parse_toml_subset(uncommented, "uncommented");
  for (const auto& spec : setting_specs()) {
    if (spec.key == "config") continue;
    ASSERT_TRUE(values.count(spec.key)) << spec.key << " missing from the default config";
    EXPECT_EQ(values.at(spec.key), spec.default_value) << spec.key;
  }
  EXPECT_EQ(values.size(), setting_specs().size() - 1);
}
