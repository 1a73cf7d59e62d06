#include "extract/boosted_trees.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>

namespace edgeocr::extract {
namespace {

double sigmoid(double m) { return 1.0 / (1.0 + std::exp(-m)); }

// Split points per feature: midpoints between distinct values at evenly spaced ranks.
std::vector<std::vector<float>> quantile_thresholds(const std::vector<std::vector<float>>& rows,
                                                    int features, int max_bins) {
  std::vector<std::vector<float>> out(static_cast<size_t>(features));
  std::vector<float> column(rows.size());
  for (int f = 0; f < features; ++f) {
    for (size_t i = 0; i < rows.size(); ++i) column[i] = rows[i][static_cast<size_t>(f)];
    std::sort(column.begin(), column.end());
    std::vector<float> distinct;
    for (float v : column)
      if (distinct.empty() || v != distinct.back()) distinct.push_back(v);
    auto& t = out[static_cast<size_t>(f)];
    if (distinct.size() <= static_cast<size_t>(max_bins)) {
      for (size_t i = 1; i < distinct.size(); ++i) t.push_back((distinct[i - 1] + distinct[i]) / 2);
      continue;
    }
    for (int b = 1; b < max_bins; ++b) {
      size_t rank = column.size() * static_cast<size_t>(b) / static_cast<size_t>(max_bins);
      float v = column[rank];
      auto it = std::lower_bound(distinct.begin(), distinct.end(), v);
      if (it == distinct.begin()) continue;
      float mid = (*(it - 1) + *it) / 2;
      if (t.empty() || mid > t.back()) t.push_back(mid);
    }
  }
  return out;
}

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<std::vector<uint8_t>>& bins, const std::vector<std::vector<float>>& thresholds,
              const std::vector<double>& grad, const std::vector<double>& hess, const BoostingParams& p)
      : bins_(bins), thresholds_(thresholds), grad_(grad), hess_(hess), p_(p) {}

  BoostedTrees::Tree build(std::vector<int> rows) {
    tree_.clear();
    grow(std::move(rows), 0);
    return std::move(tree_);
  }

 private:
  int grow(std::vector<int> rows, int depth) {
    double g = 0, h = 0;
    for (int r : rows) g += grad_[static_cast<size_t>(r)], h += hess_[static_cast<size_t>(r)];
    int id = static_cast<int>(tree_.size());
    tree_.push_back({});
    tree_.back().value = static_cast<float>(-g / (h + p_.lambda) * p_.learning_rate);
    if (depth >= p_.max_depth || h < 2 * p_.min_child_hessian) return id;
    double parent = g * g / (h + p_.lambda);
    double best_gain = 1e-9;
    int best_feature = -1, best_bin = -1;
    const auto features = static_cast<int>(thresholds_.size());
    std::vector<double> hg, hh;
    for (int f = 0; f < features; ++f) {
      const auto& t = thresholds_[static_cast<size_t>(f)];
      if (t.empty()) continue;
      hg.assign(t.size() + 1, 0);
      hh.assign(t.size() + 1, 0);
      const auto& col = bins_[static_cast<size_t>(f)];
      for (int r : rows) {
        auto b = col[static_cast<size_t>(r)];
        hg[b] += grad_[static_cast<size_t>(r)];
        hh[b] += hess_[static_cast<size_t>(r)];
      }
      double gl = 0, hl = 0;
      for (size_t k = 0; k < t.size(); ++k) {
        gl += hg[k];
        hl += hh[k];
        double gr = g - gl, hr = h - hl;
        if (hl < p_.min_child_hessian || hr < p_.min_child_hessian) continue;
        double gain = gl * gl / (hl + p_.lambda) + gr * gr / (hr + p_.lambda) - parent;
        if (gain > best_gain) best_gain = gain, best_feature = f, best_bin = static_cast<int>(k);
      }
    }
    if (best_feature < 0) return id;
    std::vector<int> left, right;
    const auto& col = bins_[static_cast<size_t>(best_feature)];
    for (int r : rows) (col[static_cast<size_t>(r)] <= best_bin ? left : right).push_back(r);
    rows.clear();
    rows.shrink_to_fit();
    int l = grow(std::move(left), depth + 1);
    int r = grow(std::move(right), depth + 1);
    auto& node = tree_[static_cast<size_t>(id)];
    node.feature = best_feature;
    node.threshold = thresholds_[static_cast<size_t>(best_feature)][static_cast<size_t>(best_bin)];
    node.left = l;
    node.right = r;
    return id;
  }

  const std::vector<std::vector<uint8_t>>& bins_;
  const std::vector<std::vector<float>>& thresholds_;
  const std::vector<double>& grad_;
  const std::vector<double>& hess_;
  const BoostingParams& p_;
  BoostedTrees::Tree tree_;
};

double tree_output(const BoostedTrees::Tree& tree, const std::vector<float>& row) {
  int n = 0;
  while (tree[static_cast<size_t>(n)].feature >= 0) {
    const auto& node = tree[static_cast<size_t>(n)];
    n = row[static_cast<size_t>(node.feature)] < node.threshold ? node.left : node.right;
  }
  return tree[static_cast<size_t>(n)].value;
}

}  // namespace

void BoostedTrees::train(const std::vector<std::vector<float>>& rows, const std::vector<int>& labels,
                         const BoostingParams& params) {
  if (rows.empty()) throw std::invalid_argument("no training rows");
  if (rows.size() != labels.size()) throw std::invalid_argument("rows and labels differ in length");
  const int features = static_cast<int>(rows.front().size());
  for (const auto& r : rows)
    if (static_cast<int>(r.size()) != features) throw std::invalid_argument("rows differ in length");
  if (!trees_.empty() && features != feature_count_)
    throw std::invalid_argument("base model has " + std::to_string(feature_count_) + " features, rows have " +
                                std::to_string(features));
  const int max_bins = std::clamp(params.max_bins, 2, 255);
  auto thresholds = quantile_thresholds(rows, features, max_bins);
  std::vector<std::vector<uint8_t>> bins(static_cast<size_t>(features), std::vector<uint8_t>(rows.size()));
  for (int f = 0; f < features; ++f) {
    const auto& t = thresholds[static_cast<size_t>(f)];
    for (size_t i = 0; i < rows.size(); ++i)
      bins[static_cast<size_t>(f)][i] = static_cast<uint8_t>(
          std::upper_bound(t.begin(), t.end(), rows[i][static_cast<size_t>(f)]) - t.begin());
  }
  std::vector<double> weight(rows.size());
  double positive = 0, total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    weight[i] = labels[i] ? params.positive_weight : 1.0;
    positive += labels[i] ? weight[i] : 0;
    total += weight[i];
  }
  if (trees_.empty()) {
    feature_count_ = features;
    double rate = std::clamp(positive / total, 1e-6, 1 - 1e-6);
    base_margin_ = std::log(rate / (1 - rate));
  }
  std::vector<double> margins(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) margins[i] = margin(rows[i]);
  std::vector<double> grad(rows.size()), hess(rows.size());
  std::vector<int> all(rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  TreeBuilder builder(bins, thresholds, grad, hess, params);
  for (int round = 0; round < params.rounds; ++round) {
    for (size_t i = 0; i < rows.size(); ++i) {
      double p = sigmoid(margins[i]);
      grad[i] = (p - labels[i]) * weight[i];
      hess[i] = std::max(p * (1 - p), 1e-6) * weight[i];
    }
    trees_.push_back(builder.build(all));
    for (size_t i = 0; i < rows.size(); ++i) margins[i] += tree_output(trees_.back(), rows[i]);
  }
}

double BoostedTrees::margin(const std::vector<float>& row) const {
  if (static_cast<int>(row.size()) < feature_count_) throw std::invalid_argument("row has too few features");
  double m = base_margin_;
  for (const auto& t : trees_) m += tree_output(t, row);
  return m;
}

double BoostedTrees::probability(const std::vector<float>& row) const { return sigmoid(margin(row)); }

void BoostedTrees::write(std::ostream& out) const {
  out.precision(9);
  out << "trees " << trees_.size() << " features " << feature_count_ << " base " << base_margin_ << "\n";
  for (const auto& t : trees_) {
    out << "tree " << t.size() << "\n";
    for (const auto& n : t) {
      if (n.feature < 0) out << "L " << n.value << "\n";
      else out << "S " << n.feature << ' ' << n.threshold << ' ' << n.left << ' ' << n.right << "\n";
    }
  }
}

BoostedTrees BoostedTrees::read(std::istream& in) {
  auto fail = [](const std::string& what) { throw std::runtime_error("malformed tree model: " + what); };
  BoostedTrees m;
  std::string word;
  size_t count = 0;
  if (!(in >> word) || word != "trees" || !(in >> count)) fail("expected 'trees N'");
  if (!(in >> word) || word != "features" || !(in >> m.feature_count_) || m.feature_count_ <= 0)
    fail("expected 'features F'");
  if (!(in >> word) || word != "base" || !(in >> m.base_margin_)) fail("expected 'base B'");
  for (size_t t = 0; t < count; ++t) {
    size_t nodes = 0;
    if (!(in >> word) || word != "tree" || !(in >> nodes) || nodes == 0) fail("expected 'tree K'");
    Tree tree(nodes);
    for (auto& n : tree) {
      if (!(in >> word)) fail("truncated tree");
      if (word == "L") {
        if (!(in >> n.value)) fail("bad leaf");
      } else if (word == "S") {
        if (!(in >> n.feature >> n.threshold >> n.left >> n.right)) fail("bad split");
        auto ok = [&](int child) { return child > 0 && static_cast<size_t>(child) < nodes; };
        if (n.feature < 0 || n.feature >= m.feature_count_ || !ok(n.left) || !ok(n.right)) fail("bad split");
      } else {
        fail("unknown node '" + word + "'");
      }
    }
    // Children are always written after their parent, so walking cannot loop.
    for (size_t i = 0; i < nodes; ++i)
      if (tree[i].feature >= 0 && (tree[i].left <= static_cast<int>(i) || tree[i].right <= static_cast<int>(i)))
        fail("children before parent");
    m.trees_.push_back(std::move(tree));
  }
  return m;
}

}  // namespace edgeocr::extract
