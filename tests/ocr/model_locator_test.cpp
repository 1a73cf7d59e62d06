#include "ocr/model_locator.h"

#include <fstream>
#include <map>

#include <unistd.h>

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using edgeocr::ocr::locate_model_dir;
using edgeocr::ocr::ModelDirNotFound;
using edgeocr::ocr::ModelPlace;
using edgeocr::ocr::named_model_dir;

namespace {

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("edgeocr-models-" + std::to_string(::getpid()) + "-" + std::to_string(++count_))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int count_ = 0;
  fs::path path_;
};

void touch(const fs::path& file) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "x";
}

}  // namespace

TEST(ModelLocator, FlagBeatsEnvironment) {
  const std::map<std::string, std::string> env{{"EDGEOCR_MODEL_PATH", "/from/env"}};
  const auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(named_model_dir("/from/flag", getenv).dir, "/from/flag");
  EXPECT_EQ(named_model_dir("/from/flag", getenv).origin, "--model-path");
  EXPECT_EQ(named_model_dir("", getenv).dir, "/from/env");
  EXPECT_EQ(named_model_dir("", getenv).origin, "EDGEOCR_MODEL_PATH");
  EXPECT_TRUE(named_model_dir("", [](const char*) -> const char* { return nullptr; }).dir.empty());
}

TEST(ModelLocator, NamedFolderIsUsedAsGivenAndNeverFallsThrough) {
  TempDir tmp;
  touch(tmp.path() / "fallback" / "det.onnx");
  fs::create_directories(tmp.path() / "named");
  const std::vector<ModelPlace> fallbacks{{tmp.path() / "fallback", "fallback"}};
  EXPECT_EQ(locate_model_dir({tmp.path() / "named", "--model-path"}, fallbacks), tmp.path() / "named");
  try {
    locate_model_dir({tmp.path() / "missing", "config /etc/edgeocr/edgeocr.toml"}, fallbacks);
    FAIL() << "a missing named folder must not fall back";
  } catch (const ModelDirNotFound& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("config /etc/edgeocr/edgeocr.toml"), std::string::npos) << e.what();
  }
}

TEST(ModelLocator, FirstFallbackHoldingModelsWinsIncludingModelSetSubfolders) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "empty");       // a folder without models is skipped
  touch(tmp.path() / "readme-only" / "README.txt");  // so is one without any .onnx
  touch(tmp.path() / "sets" / "v5" / "det.onnx");    // a model set in a subfolder counts
  touch(tmp.path() / "flat" / "det.onnx");
  const std::vector<ModelPlace> fallbacks{{tmp.path() / "empty", "./models"},
                                          {tmp.path() / "readme-only", "installed data folder"},
                                          {tmp.path() / "sets", "beside the binary"},
                                          {tmp.path() / "flat", "last"}};
  EXPECT_EQ(locate_model_dir({}, fallbacks), tmp.path() / "sets");
}

TEST(ModelLocator, ErrorNamesEveryPlaceLooked) {
  TempDir tmp;
  const std::vector<ModelPlace> fallbacks{{tmp.path() / "a", "./models"},
                                          {tmp.path() / "b", "installed data folder"},
                                          {tmp.path() / "c", "beside the binary"}};
  try {
    locate_model_dir({}, fallbacks);
    FAIL() << "no models anywhere must throw";
  } catch (const ModelDirNotFound& e) {
    const std::string what = e.what();
    for (const auto& place : fallbacks) {
      EXPECT_NE(what.find(place.dir.string()), std::string::npos) << what;
      EXPECT_NE(what.find(place.origin), std::string::npos) << what;
    }
  }
}

TEST(ModelLocator, DefaultPlacesAreLocalThenInstalledThenBesideTheBinary) {
  const auto places = edgeocr::ocr::default_model_places();
  ASSERT_GE(places.size(), 2u);
  EXPECT_EQ(places[0].dir, "models");
  EXPECT_EQ(places[1].dir, "/usr/share/edgeocr/models");
  if (places.size() > 2) {
    EXPECT_EQ(places[2].dir.filename(), "models");
  }
}
