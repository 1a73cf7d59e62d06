// Model sets: dictionary readers (text file, inference.yml, ONNX metadata), set resolution and
// errors, and every set reading rendered Chinese and English lines end to end.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "ocr/model_set.h"
#include "ocr/pipeline.h"
#include "ocr_test_util.h"
#include "runtime/runtime.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("edgeocr_model_set_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ModelSetDictionary, TextFileKeepsEveryLineInOrder) {
  TempDir dir;
  // CRLF line ends are tolerated; an ideographic space is a character like any other.
  const auto file = dir.write("dict.txt", "a\r\n\xE3\x80\x80\r\n你\n'\n");
  EXPECT_EQ(read_dictionary_text(file), (std::vector<std::string>{"a", "\xE3\x80\x80", "你", "'"}));
  EXPECT_THROW(read_dictionary_text(dir.path() / "missing.txt"), ModelSetError);
}

TEST(ModelSetDictionary, InferenceYmlCharacterDictWithQuotedItems) {
  TempDir dir;
  const auto file = dir.write("inference.yml",
                              "Global:\n  model_name: test_rec\n"
                              "PreProcess:\n  transform_ops:\n  - DecodeImage:\n      img_mode: BGR\n"
                              "  - RecResizeImg:\n      image_shape:\n      - 3\n      - 32\n      - 256\n"
                              "PostProcess:\n  name: CTCLabelDecode\n  character_dict:\n"
                              "  - '!'\n  - ''''\n  - '#'\n  - $\n  - \"\\\"\"\n  - 你\n  - '1'\n");
  EXPECT_EQ(read_dictionary_yaml(file), (std::vector<std::string>{"!", "'", "#", "$", "\"", "你", "1"}));
  // A file without character_dict gives no characters (the next source is tried).
  const auto other = dir.write("det.yml", "PostProcess:\n  name: DBPostProcess\n  thresh: 0.2\n");
  EXPECT_TRUE(read_dictionary_yaml(other).empty());
  const auto broken = dir.write("broken.yml", "PostProcess: [unclosed\n");
  EXPECT_THROW(read_dictionary_yaml(broken), ModelSetError);
}

TEST(ModelSetDictionary, OnnxMetadataCharacterEntry) {
  EXPECT_EQ(read_dictionary_metadata({{"character", "x\ny\n\xE3\x80\x80"}}),
            (std::vector<std::string>{"x", "y", "\xE3\x80\x80"}));
  EXPECT_TRUE(read_dictionary_metadata({{"other", "x"}}).empty());
  EXPECT_EQ(ctc_labels({"x", "y"}), (std::vector<std::string>{"", "x", "y", " "}));
}

TEST(ModelSetResolution, UnknownNamesAndMissingFilesAreClearErrors) {
  TempDir dir;
  try {
    load_model_set(dir.path(), "v9");
    ADD_FAILURE() << "an unknown set was accepted";
  } catch (const ModelSetError& e) {
    EXPECT_NE(std::string(e.what()).find("v6-small"), std::string::npos) << e.what();
  }
  try {
    load_model_set(dir.path(), "v5");
    ADD_FAILURE() << "a set without files was accepted";
  } catch (const ModelSetError& e) {
    EXPECT_NE(std::string(e.what()).find("fetch-models"), std::string::npos) << e.what();
  }
}

TEST(ModelSetResolution, ReadsDetectorAndRecognizerParametersFromInferenceYml) {
  TempDir dir;
  for (const char* f : {"v6-tiny/det/det.onnx", "v6-tiny/rec/rec.onnx", "v5/cls/cls.onnx"}) dir.write(f, "");
  dir.write("v6-tiny/det/inference.yml",
            "PostProcess:\n  box_thresh: 0.4\n  thresh: 0.25\n  unclip_ratio: 1.7\n"
            "PreProcess:\n  transform_ops:\n  - NormalizeImage:\n      mean:\n      - 0.5\n      - 0.4\n      - 0.3\n"
            "      scale: 1./255.\n      std:\n      - 0.2\n      - 0.25\n      - 0.5\n");
  dir.write("v6-tiny/rec/inference.yml",
            "PreProcess:\n  transform_ops:\n  - RecResizeImg:\n      image_shape:\n      - 3\n      - 32\n      - 256\n");
  const ModelSet set = load_model_set(dir.path(), "v6-tiny");
  EXPECT_FLOAT_EQ(set.det_threshold, 0.25f);
  EXPECT_FLOAT_EQ(set.det_box_threshold, 0.4f);
  EXPECT_FLOAT_EQ(set.det_unclip_ratio, 1.7f);
  EXPECT_FLOAT_EQ(set.det_mean[1], 0.4f);
  EXPECT_FLOAT_EQ(set.det_std[2], 0.5f);
  EXPECT_EQ(set.rec_height, 32);
  EXPECT_EQ(set.rec_min_width, 256);
}

// The shipped sets: where each keeps its dictionary, and that the dictionary fits the
// recognizer's class count.
TEST(ModelSetFiles, EachSetsDictionaryMatchesItsRecognizer) {
  for (const auto& name : model_set_names()) {
    SCOPED_TRACE(name);
    ModelSet set;
    try {
      set = load_model_set(test::model_dir(), name);
    } catch (const ModelSetError& e) {
      GTEST_SKIP() << e.what();
    }
    runtime::Session rec(runtime::Model::load(set.rec, {1}));
    const auto chars = model_set_characters(set, rec.model().metadata());
    runtime::Tensor input({1, 3, set.rec_height, set.rec_min_width});
    const auto out = rec.run({input})[0];
    EXPECT_EQ(static_cast<size_t>(out.shape.back()), ctc_labels(chars).size());
    // The v6 sets keep the dictionary in inference.yml, v5 also in the ONNX metadata: all agree.
    if (!set.rec_config.empty()) {
      EXPECT_EQ(read_dictionary_yaml(set.rec_config), read_dictionary_text(set.dictionary));
    }
    if (name == "v5") {
      EXPECT_EQ(read_dictionary_metadata(rec.model().metadata()), read_dictionary_text(set.dictionary));
    }
  }
}

const test::TextRenderer& renderer() {
  static const test::TextRenderer r;
  return r;
}

class ModelSetReading : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelSetReading, ReadsRenderedChineseAndEnglishLines) {
  PipelineOptions options;
  options.model_dir = test::model_dir();
  options.models = GetParam();
  std::unique_ptr<Pipeline> pipeline;
  try {
    pipeline = std::make_unique<Pipeline>(options);
  } catch (const ModelSetError& e) {
    GTEST_SKIP() << "model set " << GetParam() << " not fetched: " << e.what();
  }
  for (const std::string text : {"康师傅红烧牛肉面", "合计金额 128.75", "Total: 128.75", "Instant Noodles"}) {
    const test::Page page = test::render_line(renderer(), text, 36);
    const OcrResult result = pipeline->run(test::encode(page.image));
    ASSERT_EQ(result.lines.size(), 1u) << GetParam() << ": " << result.text;
    EXPECT_EQ(testing::without_spaces(result.lines[0].text), testing::without_spaces(text)) << GetParam();
    EXPECT_GT(result.lines[0].confidence, 0.8f) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(AllSets, ModelSetReading, ::testing::Values("v4", "v5", "v6-small", "v6-tiny", "v6-small-v4det"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace edgeocr::ocr
