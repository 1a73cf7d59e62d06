// Runs the built `edgeocr` binary on good and bad files: output formats, error lines, exit code.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/text_renderer.h"

namespace {

namespace fs = std::filesystem;

struct CommandRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class OcrCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("edgeocr_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const edgeocr::test::TextRenderer renderer;
    const auto page = edgeocr::test::render_line(renderer, "Total: 128.75", 36);
    const auto png = edgeocr::test::encode(page.image);
    std::ofstream(dir_ / "good.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    std::ofstream(dir_ / "empty.jpg").close();
    std::ofstream(dir_ / "notes.txt") << "just some text, not an image\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static CommandRun run(const std::string& args, const std::string& model_path = edgeocr::test::model_dir().string()) {
    CommandRun r;
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command = std::string("cd '") + dir_.string() + "' && '" + EDGEOCR_BINARY + "' " + args +
                                " --model-path '" + model_path + "' >'" + out.string() +
                                "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  static inline fs::path dir_;
};

TEST_F(OcrCliTest, TextForOneGoodFile) {
  const CommandRun r = run("ocr good.png");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Total: 128.75\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(OcrCliTest, BadFilesReportedOthersStillProcessed) {
  const CommandRun r = run("ocr empty.jpg good.png notes.txt missing.png --format json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("edgeocr: empty.jpg: empty file\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edgeocr: notes.txt: not an image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edgeocr: missing.png: no such file"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0].at("file"), "empty.jpg");
  EXPECT_EQ(j[0].at("error"), "empty file");
  EXPECT_EQ(j[1].at("file"), "good.png");
  EXPECT_TRUE(j[1].at("error").is_null());
  EXPECT_EQ(j[1].at("text"), "Total: 128.75");
  EXPECT_EQ(j[1].at("lines").size(), 1u);
}

TEST_F(OcrCliTest, TextHeadersAndTsvRows) {
  const CommandRun text = run("ocr good.png good.png");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, "==> good.png <==\nTotal: 128.75\n\n==> good.png <==\nTotal: 128.75\n");
  const CommandRun tsv = run("ocr good.png notes.txt --format tsv");
  EXPECT_EQ(tsv.exit_code, 1);
  std::istringstream rows(tsv.out);
  std::string header, row, extra;
  std::getline(rows, header);
  std::getline(rows, row);
  EXPECT_FALSE(std::getline(rows, extra));
  EXPECT_EQ(header.rfind("file\torder\tconfidence\tx1", 0), 0u);
  EXPECT_EQ(row.rfind("good.png\t0\t", 0), 0u) << row;
  EXPECT_EQ(row.substr(row.rfind('\t') + 1), "Total: 128.75");
  EXPECT_EQ(std::count(row.begin(), row.end(), '\t'), 11);
}

TEST_F(OcrCliTest, MissingModelsIsAClearError) {
  const CommandRun r = run("ocr good.png", "/nonexistent/models");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot load the OCR models from /nonexistent/models"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace

// Damaged PNGs: exactly one error line each on stderr (libpng must not add its own).
TEST_F(OcrCliTest, DamagedPngGivesOneErrorLine) {
  const std::string png = slurp(dir_ / "good.png");
  ASSERT_GT(png.size(), 100u);
  std::string flipped = png;
  flipped[png.size() / 2] = static_cast<char>(flipped[png.size() / 2] ^ 0x55);  // CRC mismatch
  const std::map<std::string, std::string> damaged = {
      {"half.png", png.substr(0, png.size() / 2)}, {"flipped.png", flipped}, {"head.png", png.substr(0, 33)}};
  for (const auto& [name, bytes] : damaged) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    const CommandRun r = run("ocr " + name);
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ":\n" << r.err;
    EXPECT_EQ(r.err.rfind("edgeocr: " + name + ": ", 0), 0u) << r.err;
  }
}
