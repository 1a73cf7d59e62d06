// Model loading: ONNX protobuf to constants and kernel steps, identity bypass, constant folding.
#include <algorithm>
#include <cstring>
#include <fstream>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/sha256.h"
#include "runtime/graph.h"
#include "runtime/int8_table.h"
#include "runtime/runtime.h"

namespace edgeocr::runtime::detail {
namespace {


Value value_from_tensor_proto(const onnx::TensorProto& t, const std::string& where) {
  Value v;
  v.shape.assign(t.dims().begin(), t.dims().end());
  const int64_t n = v.numel();
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      v.dtype = DType::Float;
      if (!raw.empty()) {
        if (static_cast<int64_t>(raw.size()) != n * 4) throw ModelError(where + ": tensor data size mismatch");
        v.f = Buffer(static_cast<size_t>(n));
        std::memcpy(v.f.data(), raw.data(), raw.size());
      } else {
        v.f = Buffer(t.float_data().data(), t.float_data().data() + t.float_data_size());
      }
      if (static_cast<int64_t>(v.f.size()) != n) throw ModelError(where + ": tensor data size mismatch");
      break;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      v.dtype = DType::Int64;
      const bool is64 = t.data_type() == onnx::TensorProto::INT64;
      if (!raw.empty()) {
        const size_t width = is64 ? 8 : 4;
        if (static_cast<int64_t>(raw.size()) != n * static_cast<int64_t>(width)) throw ModelError(where + ": tensor data size mismatch");
        v.i.resize(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k) {
          if (is64) {
            int64_t x;
            std::memcpy(&x, raw.data() + k * 8, 8);
            v.i[k] = x;
          } else {
            int32_t x;
            std::memcpy(&x, raw.data() + k * 4, 4);
            v.i[k] = x;
          }
        }
      } else if (is64) {
        v.i.assign(t.int64_data().begin(), t.int64_data().end());
      } else {
        v.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      if (static_cast<int64_t>(v.i.size()) != n) throw ModelError(where + ": tensor data size mismatch");
      break;
    }
    default:
      throw ModelError(where + ": tensor data type " + std::to_string(t.data_type()) + " is not supported");
  }
  return v;
}

}  // namespace

int Graph::id_of(const std::string& name, std::unordered_map<std::string, int>& ids) {
  auto it = ids.find(name);
  if (it != ids.end()) return it->second;
  const int id = static_cast<int>(value_names.size());
  value_names.push_back(name);
  constants.emplace_back();
  ids.emplace(name, id);
  return id;
}

NodeInfo Graph::info_for(const PendingNode& n) const {
  NodeInfo info;
  info.proto = n.proto;
  info.opset = opset;
  for (int id : n.in) info.constant_inputs.push_back(id >= 0 && constants[id] ? &*constants[id] : nullptr);
  return info;
}

void Graph::load(const std::filesystem::path& file, const std::filesystem::path& int8_table) {
  std::string bytes;
  {
    // One read into a buffer of the file's size: a stream copy would grow (and copy) it
    // repeatedly, which for a 20 MB recognizer is a noticeable part of a one-shot run.
    std::ifstream stream(file, std::ios::binary | std::ios::ate);
    if (!stream) throw ModelError("cannot open model file " + file.string());
    const std::streamoff size = stream.tellg();
    if (size < 0) throw ModelError("cannot read model file " + file.string());
    bytes.resize(static_cast<size_t>(size));
    stream.seekg(0);
    if (!stream.read(bytes.data(), size)) throw ModelError("cannot read model file " + file.string());
  }
  if (!proto.ParseFromString(bytes)) throw ModelError(file.string() + " is not a valid ONNX model");
  std::optional<Int8Table> table;
  if (!int8_table.empty() && cpu_has_int8_dot_product()) {
    table = read_int8_table(int8_table);
    if (table->model_sha256 != common::sha256_hex(bytes))
      throw ModelError(int8_table.string() + " was calibrated for another model file than " + file.string());
  }
  bytes = {};
  for (const auto& o : proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(o.version());
  for (const auto& p : proto.metadata_props()) metadata[p.key()] = p.value();
  const auto& g = proto.graph();
  std::unordered_map<std::string, int> ids;
  for (const auto& init : g.initializer())
    constants[id_of(init.name(), ids)] = value_from_tensor_proto(init, "initializer '" + init.name() + "'");
  for (const auto& in : g.input()) {
    const int id = id_of(in.name(), ids);
    if (constants[id]) continue;  // initializer listed as input (old exporters)
    inputs.push_back(id);
    input_names.push_back(in.name());
    std::vector<int64_t> dims;
    for (const auto& d : in.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    input_dims.push_back(dims);
  }
  std::vector<PendingNode> nodes;
  for (const auto& node : g.node()) {
    PendingNode p{&node, {}, {}, false, std::nullopt, std::nullopt};
    for (const auto& name : node.input()) p.in.push_back(name.empty() ? -1 : id_of(name, ids));
    for (const auto& name : node.output()) p.out.push_back(id_of(name, ids));
    if (node.op_type() == "Constant") {
      if (node.attribute_size() != 1 || node.attribute(0).name() != "value")
        throw ModelError("Constant node '" + node.name() + "': only the 'value' attribute is supported");
      constants[p.out[0]] = value_from_tensor_proto(node.attribute(0).t(), "Constant node '" + node.name() + "'");
      continue;
    }
    nodes.push_back(std::move(p));
  }
  for (const auto& out : g.output()) {
    auto it = ids.find(out.name());
    if (it == ids.end()) throw ModelError("graph output '" + out.name() + "' is not produced by any node");
    outputs.push_back(it->second);
    output_names.push_back(out.name());
  }
  bypass_identities(nodes);
  fold_constants(nodes);
  fuse_gelu(nodes);
  fuse_convolutions(nodes);
  fuse_linear_layers(nodes);

  // Kernels for what is left, in graph order, with each value released after its last use.
  std::vector<int> last_use(value_names.size(), -1);
  std::vector<bool> keep(value_names.size(), false);
  for (int id : outputs) keep[id] = true;
  for (auto& n : nodes) {
    if (n.removed) continue;
    Step step;
    step.name = n.proto->op_type() + " '" + n.proto->name() + "'";
    NodeInfo info = info_for(n);
    if (n.conv && table && n.conv->group == 1) {
      auto range = table->ranges.find(value_names[n.in[0]]);
      const auto& pads = n.conv->pads;
      const bool padded = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
      if (range != table->ranges.end() && (n.conv->int8 = int8_input_for(range->second, padded))) ++int8_layers;
    }
    if (n.linear && table) {
      auto range = table->ranges.find(value_names[n.in[0]]);
      if (range != table->ranges.end() && (n.linear->int8 = int8_input_for(range->second, false))) ++int8_layers;
    }
    step.kernel = n.conv     ? make_conv_kernel(std::move(*n.conv))
                  : n.linear ? make_linear_kernel(std::move(*n.linear))
                             : make_kernel(info);
    // A fused convolution or linear layer owns its weights: it reads only the activation
    // input, so the weight constants are not kept alive for it.
    step.inputs = n.conv || n.linear ? std::vector<int>{n.in[0]} : n.in;
    step.outputs = n.out;
    for (int id : step.inputs)
      if (id >= 0 && !constants[id]) last_use[id] = static_cast<int>(steps.size());
    steps.push_back(std::move(step));
  }
  for (size_t id = 0; id < last_use.size(); ++id)
    if (last_use[id] >= 0 && !keep[id]) steps[last_use[id]].release.push_back(static_cast<int>(id));
  // Every non-constant input of a step must be produced by an earlier step or be a graph input.
  std::vector<bool> available(value_names.size(), false);
  for (int id : inputs) available[id] = true;
  for (const auto& s : steps) {
    for (int id : s.inputs)
      if (id >= 0 && !constants[id] && !available[id])
        throw ModelError(s.name + ": input '" + value_names[id] + "' is not produced before use");
    for (int id : s.outputs) available[id] = true;
  }
  for (int id : outputs)
    if (!available[id] && !constants[id]) throw ModelError("graph output '" + value_names[id] + "' is never computed");
  // Drop what only loading needed: constants no step reads (weights now inside the kernels)
  // and the protobuf itself.
  std::vector<bool> used(value_names.size(), false);
  for (const auto& s : steps)
    for (int id : s.inputs)
      if (id >= 0) used[id] = true;
  for (int id : outputs) used[id] = true;
  for (size_t id = 0; id < constants.size(); ++id)
    if (constants[id] && !used[id]) constants[id].reset();
  proto.Clear();
  synthetic_nodes.clear();
}

// Identity nodes (newer exporters insert one per weight) only copy: their readers read the
// source value instead, which also lets convolution fusion see through them.
void Graph::bypass_identities(std::vector<PendingNode>& nodes) {
  std::vector<int> source(value_names.size());
  for (size_t id = 0; id < source.size(); ++id) source[id] = static_cast<int>(id);
  std::vector<bool> is_output(value_names.size(), false);
  for (int id : outputs) is_output[id] = true;
  for (auto& n : nodes) {
    for (int& id : n.in)
      if (id >= 0) id = source[id];
    if (n.proto->op_type() != "Identity" || n.in.size() != 1 || n.out.size() != 1 || n.in[0] < 0 || is_output[n.out[0]])
      continue;
    make_kernel(info_for(n));  // validates its attributes like any other node
    source[n.out[0]] = n.in[0];
    n.removed = true;
  }
}

void Graph::fold_constants(std::vector<PendingNode>& nodes) {
  ExecContext tmp{heap_allocator()};
  for (auto& n : nodes) {
    if (n.removed) continue;
    bool all_const = !n.in.empty();
    for (int id : n.in) all_const = all_const && (id < 0 || constants[id]);
    if (!all_const) continue;
    auto kernel = make_kernel(info_for(n));
    std::vector<const Value*> in;
    for (int id : n.in) in.push_back(id >= 0 ? &*constants[id] : nullptr);
    std::vector<Value> results(n.out.size());
    std::vector<Value*> out;
    for (auto& r : results) out.push_back(&r);
    kernel->run(tmp, in, out);
    for (size_t k = 0; k < n.out.size(); ++k) {
      to_nchw(results[k], tmp);
      constants[n.out[k]] = std::move(results[k]);
    }
    n.removed = true;
  }
}

}  // namespace edgeocr::runtime::detail
