// The loaded form of a model: constants, the step list (one kernel per remaining node, with
// each value's last use) and the graph's inputs and outputs. Built once by load(), then only
// read: Sessions run it from any thread.
#pragma once

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/kernel.h"

namespace edgeocr::runtime::detail {

struct Step {
  std::unique_ptr<const Kernel> kernel;
  std::vector<int> inputs;   // value ids (-1: omitted optional input)
  std::vector<int> outputs;
  std::vector<int> release;  // values whose last use is this step
  std::string name;
};

// A node while the loader rewrites the graph (value ids, constants known).
struct PendingNode {
  const onnx::NodeProto* proto;
  std::vector<int> in, out;
  bool removed = false;
  std::optional<ConvSpec> conv;
  std::optional<LinearSpec> linear;
};

struct Graph {
  int opset = 11;
  int threads = 2;
  std::vector<std::string> value_names;
  std::vector<std::optional<Value>> constants;  // by value id
  std::vector<int> inputs, outputs;
  std::vector<std::string> input_names, output_names;
  std::map<std::string, std::string> metadata;
  std::vector<std::vector<int64_t>> input_dims;  // -1 = dynamic
  std::vector<Step> steps;
  int int8_layers = 0;

  // Parses, folds and fuses the file, with the convolutions an int8 table lists in int8 (no
  // table: none); throws ModelError.
  void load(const std::filesystem::path& file, const std::filesystem::path& int8_table = {});

 private:
  // Only while loading (cleared at the end of load()).
  onnx::ModelProto proto;
  std::deque<onnx::NodeProto> synthetic_nodes;  // nodes the loader creates (fused patterns)

  int id_of(const std::string& name, std::unordered_map<std::string, int>& ids);
  NodeInfo info_for(const PendingNode& n) const;
  void bypass_identities(std::vector<PendingNode>& nodes);
  void fold_constants(std::vector<PendingNode>& nodes);
  // graph_fusion.cpp
  void fuse_gelu(std::vector<PendingNode>& nodes);
  void fuse_convolutions(std::vector<PendingNode>& nodes);
  void fuse_linear_layers(std::vector<PendingNode>& nodes);
};

}  // namespace edgeocr::runtime::detail
