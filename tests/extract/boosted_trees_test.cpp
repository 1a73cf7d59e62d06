#include "extract/boosted_trees.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace edgeocr::extract {
namespace {

// Label = (x0 > 0.5) XOR (x1 > 0.3), x2 is noise: needs two levels of splits.
void make_rows(int n, unsigned seed, std::vector<std::vector<float>>& rows, std::vector<int>& labels) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  for (int i = 0; i < n; ++i) {
    std::vector<float> r{u(rng), u(rng), u(rng)};
    labels.push_back((r[0] > 0.5f) != (r[1] > 0.3f));
    rows.push_back(r);
  }
}

TEST(BoostedTrees, LearnsAnInteractionAndGeneralises) {
  std::vector<std::vector<float>> rows, test_rows;
  std::vector<int> labels, test_labels;
  make_rows(2000, 1, rows, labels);
  make_rows(500, 2, test_rows, test_labels);
  BoostedTrees model;
  BoostingParams p;
  p.rounds = 50;
  p.max_depth = 3;
  p.learning_rate = 0.3;
  model.train(rows, labels, p);
  int right = 0;
  for (size_t i = 0; i < test_rows.size(); ++i) right += (model.probability(test_rows[i]) > 0.5) == (test_labels[i] == 1);
  EXPECT_GT(right, 480);
}

TEST(BoostedTrees, TrainingIsDeterministicAndTextRoundTrips) {
  std::vector<std::vector<float>> rows;
  std::vector<int> labels;
  make_rows(300, 3, rows, labels);
  BoostingParams p;
  p.rounds = 10;
  BoostedTrees a, b;
  a.train(rows, labels, p);
  b.train(rows, labels, p);
  std::ostringstream sa, sb;
  a.write(sa);
  b.write(sb);
  EXPECT_EQ(sa.str(), sb.str());
  std::istringstream in(sa.str());
  BoostedTrees c = BoostedTrees::read(in);
  for (const auto& r : rows) EXPECT_NEAR(c.margin(r), a.margin(r), 1e-5);
  std::istringstream bad("trees 1 features 3 base 0\ntree 3\nS 0 0.5 1 7\nL 1\nL 2\n");
  EXPECT_THROW(BoostedTrees::read(bad), std::runtime_error);
  std::vector<std::vector<float>> ragged{{1, 2}, {1}};
  EXPECT_THROW(a.train(ragged, {0, 1}, p), std::invalid_argument);
}

}  // namespace
}  // namespace edgeocr::extract
