// Runs the built `edgeocr eval` on the first images of ../shared/eval/sroie and checks that the
// metrics stay above floors the code reaches today (measured, then set a little lower).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string output;
};

RunResult run(const std::string& args) {
  // `timeout` bounds a hung run; stderr is merged so failures show the tool's message.
  std::string cmd = "timeout 300 " + std::string(EDGEOCR_BINARY) + " " + args + " 2>&1";
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path sroie() { return fs::path(EDGEOCR_SHARED_DIR) / "eval" / "sroie"; }

nlohmann::json run_report(const std::string& engine, int limit) {
  fs::path report = fs::temp_directory_path() /
                    ("edgeocr_eval_" + engine + "_" + std::to_string(::getpid()) + ".json");
  auto r = run("eval --model-path " + std::string(EDGEOCR_MODEL_DIR) + " --dataset " + sroie().string() +
               " --engine " + engine + " --limit " +
               std::to_string(limit) + " --report " + report.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(report);
  EXPECT_TRUE(in.good()) << r.output;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  fs::remove(report);
  EXPECT_NE(r.output.find("det F1"), std::string::npos) << r.output;
  return j.is_discarded() ? nlohmann::json{} : j["engines"][engine];
}

class EvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(sroie() / "img")) GTEST_SKIP() << "no shared eval data at " << sroie();
  }
};

TEST_F(EvalCli, LabelsEngineScoresExtractionOnPerfectLines) {
  auto e = run_report("labels", 8);
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e["images"], 8);
  EXPECT_DOUBLE_EQ(e["detection"]["f1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(e["recognition"]["cer"].get<double>(), 0.0);
  // Measured 0.875 on these 8 (label noise in SROIE keys costs the rest).
  EXPECT_GE(e["fields_overall"]["f1"].get<double>(), 0.84);
  EXPECT_GE(e["fields"]["date"]["f1"].get<double>(), 0.99);
}

TEST_F(EvalCli, FieldsModelScoredBesideTheRules) {
  fs::path report = fs::temp_directory_path() / ("edgeocr_eval_fields_" + std::to_string(::getpid()) + ".json");
  auto r = run("eval --dataset " + sroie().string() + " --engine labels --limit 8 --fields-model " +
               std::string(EDGEOCR_SOURCE_DIR) + "/fields/receipt-sroie.model --report " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("labels+learned"), std::string::npos) << r.output;
  std::ifstream in(report);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  fs::remove(report);
  ASSERT_TRUE(j.is_object()) << r.output;
  const auto& learned = j["engines"]["labels+learned"];
  ASSERT_TRUE(learned.is_object()) << j.dump();
  EXPECT_EQ(learned["images"], 8);
  EXPECT_GE(learned["fields_overall_case_insensitive"]["f1"].get<double>(), 0.8);
  EXPECT_TRUE(j["engines"]["labels"].is_object());
  auto bad = run("eval --dataset " + sroie().string() + " --engine labels --limit 1 --fields-model /nonexistent");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("/nonexistent"), std::string::npos) << bad.output;
}

// `fields train --folds K --misses FILE`: every held-out wrong pick, with its label and the
// candidate closest to it, one TSV row each.
TEST_F(EvalCli, FieldsTrainWritesHeldOutMisses) {
  const std::string stem = (fs::temp_directory_path() / ("edgeocr_fields_" + std::to_string(::getpid()))).string();
  auto r = run("fields train --dataset " + sroie().string() + " --engine labels --limit 12 --rounds 20 --folds 3 --misses " +
               stem + ".tsv --out " + stem + ".model");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cross-validated (3 folds"), std::string::npos) << r.output;
  std::ifstream in(stem + ".tsv");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "page\tfield\tlabel_among_candidates\tclosest_distance\tlabel\tpicked\tclosest");
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) cells.push_back(cell);
    ASSERT_GE(cells.size(), 5u) << line;
    EXPECT_NE(cells[0].find(" labels"), std::string::npos) << line;
    EXPECT_TRUE(cells[2] == "reachable" || cells[2] == "unreachable") << line;
    // A label among the candidates is at distance 0 from the closest one, and the pick is wrong.
    EXPECT_EQ(cells[2] == "reachable", cells[3] == "0") << line;
    EXPECT_NE(cells[4], cells.size() > 5 ? cells[5] : "") << line;
    ++rows;
  }
  // Twelve receipts of four fields held out once each: some are missed, most are not.
  EXPECT_GT(rows, 0);
  EXPECT_LT(rows, 24);
  fs::remove(stem + ".tsv");
  fs::remove(stem + ".model");
  fs::remove(stem + ".model.json");
}

TEST_F(EvalCli, NativeEngineAboveFloors) {
  auto e = run_report("native", 8);
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e["failed_images"], 0);
  EXPECT_GE(e["detection"]["f1"].get<double>(), NATIVE_DET_F1_FLOOR);
  EXPECT_LE(e["recognition"]["cer"].get<double>(), NATIVE_CER_CEILING);
  EXPECT_GE(e["fields_overall"]["f1"].get<double>(), NATIVE_FIELD_F1_FLOOR);
  EXPECT_GT(e["seconds_per_image"]["p50"].get<double>(), 0.0);
  EXPECT_GT(e["peak_rss_mib"].get<double>(), 10.0);
}

TEST_F(EvalCli, TesseractEngineRuns) {
  auto e = run_report("tesseract", 2);
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e["failed_images"], 0);
  EXPECT_GT(e["detection"]["tp"].get<int>(), 10);
  EXPECT_LT(e["recognition"]["cer"].get<double>(), 0.5);
}

// Another tool's saved output is scored with the same metrics: the labelled lines themselves,
// with one line's text changed, give perfect detection and a small, non-zero CER.
TEST_F(EvalCli, PredictionsEngineScoresSavedOutput) {
  fs::path dir = fs::temp_directory_path() / ("edgeocr_predictions_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* id : {"000", "010"}) {
    std::ifstream in(sroie() / "box" / (std::string(id) + ".csv"));
    nlohmann::json lines = nlohmann::json::array();
    std::string row;
    while (std::getline(in, row)) {
      if (!row.empty() && row.back() == '\r') row.pop_back();
      std::vector<float> v;
      size_t pos = 0;
      for (int i = 0; i < 8; ++i) {
        size_t comma = row.find(',', pos);
        if (comma == std::string::npos) break;
        v.push_back(std::stof(row.substr(pos, comma - pos)));
        pos = comma + 1;
      }
      if (v.size() != 8) continue;
      lines.push_back({{"text", row.substr(pos)},
                       {"box", {{v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]}, {v[6], v[7]}}}});
    }
    ASSERT_GT(lines.size(), 3u);
    lines[0]["text"] = lines[0]["text"].get<std::string>() + "X";
    std::ofstream(dir / (std::string(id) + ".json")) << nlohmann::json{{"lines", lines}}.dump();
  }
  fs::path report = dir / "report.json";
  auto r = run("eval --dataset " + sroie().string() + " --engine predictions:" + dir.string() +
               " --limit 2 --report " + report.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(report);
  auto j = nlohmann::json::parse(in, nullptr, false);
  fs::remove_all(dir);
  ASSERT_FALSE(j.is_discarded());
  auto e = j["engines"]["predictions:" + dir.string()];
  EXPECT_EQ(e["failed_images"], 0);
  EXPECT_DOUBLE_EQ(e["detection"]["f1"].get<double>(), 1.0);
  EXPECT_GT(e["recognition"]["cer"].get<double>(), 0.0);
  EXPECT_LT(e["recognition"]["cer"].get<double>(), 0.02);
}

TEST(EvalCliErrors, MissingDatasetIsAClearError) {
  auto r = run("eval --dataset /nonexistent/edgeocr --engine labels");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("dataset folder not found"), std::string::npos) << r.output;
}

}  // namespace
