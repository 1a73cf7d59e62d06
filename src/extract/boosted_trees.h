// Gradient-boosted regression trees for binary classification (logistic loss, second-order
// steps on quantile histograms). Small on purpose: single-threaded and deterministic, so the
// same rows give the same model bit for bit; a model is a plain text block of trees.
//
//   BoostedTrees model;                       // or model = BoostedTrees::read(in)
//   model.train(rows, labels, params);        // continues boosting when the model has trees
//   double p = model.probability(row);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

namespace edgeocr::extract {

struct BoostingParams {
  int rounds = 200;
  int max_depth = 4;
  double learning_rate = 0.1;
  double lambda = 1.0;            // L2 penalty on leaf values
  double min_child_hessian = 1.0;
  int max_bins = 64;              // quantile bins per feature
  double positive_weight = 1.0;   // weight of label-1 rows (few positives among many candidates)
};

class BoostedTrees {
 public:
  struct Node {
    int feature = -1;       // -1: leaf
    float threshold = 0;    // go left when value < threshold
    int left = -1, right = -1;
    float value = 0;        // leaf output (margin)
  };
  using Tree = std::vector<Node>;

  // rows[i] has `feature_count()` values (set by the first train; later trains must match).
  // Throws std::invalid_argument on ragged rows or a feature count that differs from the model's.
  void train(const std::vector<std::vector<float>>& rows, const std::vector<int>& labels,
             const BoostingParams& params);

  double margin(const std::vector<float>& row) const;
  double probability(const std::vector<float>& row) const;

  int feature_count() const { return feature_count_; }
  size_t tree_count() const { return trees_.size(); }
  bool empty() const { return trees_.empty(); }

  // Text form: "trees N features F base B", then per tree "tree K" and K node lines.
  void write(std::ostream& out) const;
  static BoostedTrees read(std::istream& in);  // throws std::runtime_error on malformed input

 private:
  int feature_count_ = 0;
  double base_margin_ = 0;
  std::vector<Tree> trees_;
};

}  // namespace edgeocr::extract
