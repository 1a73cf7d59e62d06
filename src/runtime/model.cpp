// Model loading (ONNX protobuf), constant folding, convolution fusion and execution.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/kernels.h"
#include "runtime/runtime.h"

namespace edgeocr::runtime {

using detail::ConvSpec;
using detail::DType;
using detail::ExecContext;
using detail::Kernel;
using detail::NodeInfo;
using detail::PostOp;
using detail::Value;

Tensor::Tensor(std::vector<int64_t> s) : shape(std::move(s)) { data.assign(static_cast<size_t>(numel()), 0.f); }

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void set_num_threads(int threads) { detail::set_kernel_threads(threads); }

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
        v.f.resize(static_cast<size_t>(n));
        std::memcpy(v.f.data(), raw.data(), raw.size());
      } else {
        v.f.assign(t.float_data().begin(), t.float_data().end());
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

// Reusable float buffers: a warm forward pass with the same shapes allocates nothing.
// Buffers that a whole pass did not use are freed at its end, so memory follows the current
// input size instead of the largest ever seen.
class BufferPool {
 public:
  std::vector<float> acquire(size_t n) {
    size_t best = free_.size();
    for (size_t k = 0; k < free_.size(); ++k)
      if (free_[k].size() >= n && (best == free_.size() || free_[k].size() < free_[best].size())) best = k;
    if (best != free_.size() && free_[best].size() <= 2 * n + 4096) {
      std::vector<float> b = std::move(free_[best]);
      free_.erase(free_.begin() + static_cast<long>(best));
      used_.insert(b.data());
      return b;
    }
    // No fit: the input grew since the last pass. Drop the largest free buffer that is too small
    // (a grown pass needs it less than the new one), so stale buffers do not add to the peak.
    size_t smaller = free_.size();
    for (size_t k = 0; k < free_.size(); ++k)
      if (free_[k].size() < n && (smaller == free_.size() || free_[k].size() > free_[smaller].size())) smaller = k;
    if (smaller != free_.size()) free_.erase(free_.begin() + static_cast<long>(smaller));
    std::vector<float> b(n);
    used_.insert(b.data());
    return b;
  }
  void release(std::vector<float>&& b) {
    if (b.empty()) return;
    free_.push_back(std::move(b));
  }
  // Called after each forward pass, when every intermediate buffer is back in the pool.
  void end_pass(bool retain) {
    if (retain)
      std::erase_if(free_, [this](const std::vector<float>& b) { return !used_.count(b.data()); });
    else
      free_.clear();
    used_.clear();
  }

 private:
  std::vector<std::vector<float>> free_;
  std::unordered_set<const float*> used_;  // buffers handed out during the current pass
};

struct Step {
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;   // value ids (-1: omitted optional input)
  std::vector<int> outputs;
  std::vector<int> release;  // values whose last use is this step
  std::string name;
};

// Graph under construction: node list over value ids, with constants known.
struct PendingNode {
  const onnx::NodeProto* proto;
  std::vector<int> in, out;
  bool removed = false;
  std::optional<ConvSpec> conv;
};

}  // namespace

struct Model::Impl {
  onnx::ModelProto proto;
  int opset = 11;
  std::vector<std::string> value_names;
  std::vector<std::optional<Value>> constants;  // by value id
  std::vector<int> inputs, outputs;
  std::vector<std::string> input_names, output_names;
  std::map<std::string, std::string> metadata;
  std::vector<std::vector<int64_t>> input_dims;  // -1 = dynamic
  std::vector<Step> steps;
  std::deque<onnx::NodeProto> synthetic_nodes;  // nodes the loader creates (fused patterns)
  std::vector<Value> slots;
  BufferPool pool;
  ExecContext ctx;
  int threads = 2;
  bool retain_buffers = true;

  Impl() {
    ctx.acquire = [this](size_t n) { return pool.acquire(n); };
    ctx.release = [this](std::vector<float>&& b) { pool.release(std::move(b)); };
  }

  int id_of(const std::string& name, std::unordered_map<std::string, int>& ids) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    const int id = static_cast<int>(value_names.size());
    value_names.push_back(name);
    constants.emplace_back();
    ids.emplace(name, id);
    return id;
  }

  NodeInfo info_for(const PendingNode& n) const {
    NodeInfo info;
    info.proto = n.proto;
    info.opset = opset;
    for (int id : n.in) info.constant_inputs.push_back(id >= 0 && constants[id] ? &*constants[id] : nullptr);
    return info;
  }

  void load(const std::filesystem::path& file);
  void bypass_identities(std::vector<PendingNode>& nodes);
  void fuse_gelu(std::vector<PendingNode>& nodes);
  void fold_constants(std::vector<PendingNode>& nodes);
  void fuse_convolutions(std::vector<PendingNode>& nodes);
  std::vector<Tensor> run(const std::vector<Tensor>& in);
};

void Model::Impl::load(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) throw ModelError("cannot open model file " + file.string());
  if (!proto.ParseFromIstream(&stream)) throw ModelError(file.string() + " is not a valid ONNX model");
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
    PendingNode p{&node, {}, {}, false, std::nullopt};
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

  // Kernels for what is left, in graph order, with each value released after its last use.
  std::vector<int> last_use(value_names.size(), -1);
  std::vector<bool> keep(value_names.size(), false);
  for (int id : outputs) keep[id] = true;
  for (auto& n : nodes) {
    if (n.removed) continue;
    Step step;
    step.name = n.proto->op_type() + " '" + n.proto->name() + "'";
    NodeInfo info = info_for(n);
    step.kernel = n.conv ? detail::make_conv_kernel(std::move(*n.conv)) : detail::make_kernel(info);
    // A fused convolution owns its weights: it reads only the activation input, so the
    // weight constants are not kept alive for it.
    step.inputs = n.conv ? std::vector<int>{n.in[0]} : n.in;
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
  slots.resize(value_names.size());
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
void Model::Impl::bypass_identities(std::vector<PendingNode>& nodes) {
  std::vector<int> source(value_names.size());
  for (size_t id = 0; id < source.size(); ++id) source[id] = static_cast<int>(id);
  std::vector<bool> is_output(value_names.size(), false);
  for (int id : outputs) is_output[id] = true;
  for (auto& n : nodes) {
    for (int& id : n.in)
      if (id >= 0) id = source[id];
    if (n.proto->op_type() != "Identity" || n.in.size() != 1 || n.out.size() != 1 || n.in[0] < 0 || is_output[n.out[0]])
      continue;
    detail::make_kernel(info_for(n));  // validates its attributes like any other node
    source[n.out[0]] = n.in[0];
    n.removed = true;
  }
}

// Exporters write GELU as x * (1 + erf(x / sqrt 2)) * 0.5: five passes over the tensor. The
// chain becomes one Gelu node (one pass; a post-op when it follows a convolution).
void Model::Impl::fuse_gelu(std::vector<PendingNode>& nodes) {
  std::vector<std::vector<int>> consumers(value_names.size());
  std::vector<int> producer(value_names.size(), -1);
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k].removed) continue;
    for (int id : nodes[k].in)
      if (id >= 0) consumers[id].push_back(static_cast<int>(k));
    for (int id : nodes[k].out) producer[id] = static_cast<int>(k);
  }
  std::vector<bool> is_output(value_names.size(), false);
  for (int id : outputs) is_output[id] = true;
  auto op_is = [&](int k, const char* op) { return k >= 0 && nodes[k].proto->op_type() == op; };
  // The scalar constant operand of binary node k whose other operand is x.
  auto scalar_with = [&](int k, int x, float& v) {
    const auto& in = nodes[k].in;
    if (in.size() != 2 || nodes[k].proto->attribute_size() != 0) return false;
    const int c = in[0] == x ? in[1] : in[1] == x ? in[0] : -1;
    if (c < 0 || !constants[c] || constants[c]->dtype != DType::Float || constants[c]->numel() != 1) return false;
    v = constants[c]->f[0];
    return true;
  };
  auto only_consumer = [&](int id) { return !is_output[id] && consumers[id].size() == 1 ? consumers[id][0] : -1; };
  auto near = [](float a, float b) { return std::fabs(a - b) < 1e-4f; };
  for (size_t e = 0; e < nodes.size(); ++e) {
    if (nodes[e].removed || !op_is(static_cast<int>(e), "Erf") || nodes[e].in.size() != 1) continue;
    const int div = producer[nodes[e].in[0]];
    float v = 0;
    if (!op_is(div, "Div") || only_consumer(nodes[div].out[0]) != static_cast<int>(e)) continue;
    const int x = nodes[div].in[0];
    if (!scalar_with(div, x, v) || nodes[div].in[1] == x || !near(v, 1.41421356f)) continue;
    const int add = only_consumer(nodes[e].out[0]);
    if (!op_is(add, "Add") || !scalar_with(add, nodes[e].out[0], v) || !near(v, 1.f)) continue;
    const int mul = only_consumer(nodes[add].out[0]);
    if (!op_is(mul, "Mul") || nodes[mul].in.size() != 2 || nodes[mul].proto->attribute_size() != 0) continue;
    if (!((nodes[mul].in[0] == x && nodes[mul].in[1] == nodes[add].out[0]) ||
          (nodes[mul].in[1] == x && nodes[mul].in[0] == nodes[add].out[0])))
      continue;
    const int half = only_consumer(nodes[mul].out[0]);
    if (!op_is(half, "Mul") || !scalar_with(half, nodes[mul].out[0], v) || !near(v, 0.5f)) continue;
    onnx::NodeProto& gelu = synthetic_nodes.emplace_back();
    gelu.set_op_type("Gelu");
    gelu.set_name(nodes[half].proto->name() + "/gelu");
    for (int k : {div, static_cast<int>(e), add, mul}) nodes[k].removed = true;
    nodes[half].proto = &gelu;
    nodes[half].in = {x};
  }
}

void Model::Impl::fold_constants(std::vector<PendingNode>& nodes) {
  ExecContext tmp;
  tmp.acquire = [](size_t n) { return std::vector<float>(n); };
  tmp.release = [](std::vector<float>&&) {};
  for (auto& n : nodes) {
    if (n.removed) continue;
    bool all_const = !n.in.empty();
    for (int id : n.in) all_const = all_const && (id < 0 || constants[id]);
    if (!all_const) continue;
    auto kernel = detail::make_kernel(info_for(n));
    std::vector<const Value*> in;
    for (int id : n.in) in.push_back(id >= 0 ? &*constants[id] : nullptr);
    std::vector<Value> results(n.out.size());
    std::vector<Value*> out;
    for (auto& r : results) out.push_back(&r);
    kernel->run(tmp, in, out);
    for (size_t k = 0; k < n.out.size(); ++k) {
      detail::to_nchw(results[k], tmp);
      if (results[k].dtype == DType::Float) results[k].f.resize(static_cast<size_t>(results[k].numel()));
      constants[n.out[k]] = std::move(results[k]);
    }
    n.removed = true;
  }
}

// Folds BatchNorm / per-channel scale and shift into convolution weights, and activation
// chains (ReLU, clip, hard-swish, swish, hard-sigmoid, per-channel affine) into oneDNN
// post-ops, so most of PaddleOCR's elementwise layers cost nothing.
void Model::Impl::fuse_convolutions(std::vector<PendingNode>& nodes) {
  std::vector<std::vector<int>> consumers(value_names.size());
  for (size_t k = 0; k < nodes.size(); ++k)
    if (!nodes[k].removed)
      for (int id : nodes[k].in)
        if (id >= 0) consumers[id].push_back(static_cast<int>(k));
  std::vector<bool> is_output(value_names.size(), false);
  for (int id : outputs) is_output[id] = true;

  auto live_consumers = [&](int id) {
    std::vector<int> r;
    for (int k : consumers[id])
      if (!nodes[k].removed) r.push_back(k);
    return r;
  };
  auto const_of = [&](int id) -> const Value* { return id >= 0 && constants[id] ? &*constants[id] : nullptr; };
  auto op_is = [&](int k, const char* op) { return nodes[k].proto->op_type() == op; };
  // The operand of binary node k that is not `x`, if it is a constant.
  auto other_const = [&](int k, int x) -> const Value* {
    const auto& in = nodes[k].in;
    if (in.size() != 2) return nullptr;
    if (in[0] == x) return const_of(in[1]);
    if (in[1] == x) return const_of(in[0]);
    return nullptr;
  };
  auto scalar_of = [&](const Value* v, float& s) {
    if (!v || v->numel() != 1) return false;
    s = v->dtype == DType::Float ? v->f[0] : static_cast<float>(v->i[0]);
    return true;
  };
  auto single = [&](int id) -> int {
    if (is_output[id]) return -1;
    auto c = live_consumers(id);
    return c.size() == 1 ? c[0] : -1;
  };

  for (auto& node : nodes) {
    if (node.removed) continue;
    if (node.proto->op_type() == "Conv") {
      if (!const_of(node.in.size() > 1 ? node.in[1] : -1)) continue;
      node.conv = detail::conv_spec_from_node(info_for(node));
    } else if (node.proto->op_type() == "ConvTranspose") {
      ConvSpec spec;
      if (!detail::shuffle_conv_spec_from_deconv(info_for(node), spec)) continue;
      node.conv = std::move(spec);
    } else {
      continue;
    }
    ConvSpec& spec = *node.conv;
    // Output channels of the convolution; a rewritten deconvolution repeats its logical
    // channels shuffle^2 times, so per-channel constants are tiled to match.
    const int64_t co = spec.weight_shape[0];
    const int64_t logical_co = co / (spec.shuffle * spec.shuffle);
    const int64_t per_out = static_cast<int64_t>(spec.weights.size()) / co;
    // Per-channel values of a constant broadcastable against [N,Co,H,W] along channels only.
    auto channel_values = [&](const Value* v, std::vector<float>& vals) {
      if (!v || v->dtype != DType::Float) return false;
      if (v->numel() == 1) { vals.assign(static_cast<size_t>(co), v->f[0]); return true; }
      std::vector<int64_t> s = v->shape;
      if (s.size() > 4) return false;
      s.insert(s.begin(), 4 - s.size(), 1);
      if (s[0] != 1 || s[1] != logical_co || s[2] != 1 || s[3] != 1) return false;
      vals.resize(static_cast<size_t>(co));
      for (int64_t k = 0; k < co; ++k) vals[k] = v->f[k % logical_co];
      return true;
    };
    auto absorb = [&](int k) {  // node k's output becomes the conv's output
      nodes[k].removed = true;
      node.out[0] = nodes[k].out[0];
    };
    for (;;) {
      const int x = node.out[0];
      if (is_output[x]) break;
      auto cons = live_consumers(x);
      if (cons.size() == 1) {
        const int k = cons[0];
        const auto& op = nodes[k].proto->op_type();
        std::vector<float> vals;
        if (op == "BatchNormalization" && spec.post_ops.empty() && nodes[k].in[0] == x) {
          const Value *g = const_of(nodes[k].in[1]), *b = const_of(nodes[k].in[2]), *m = const_of(nodes[k].in[3]),
                      *var = const_of(nodes[k].in[4]);
          if (!g || !b || !m || !var || nodes[k].out.size() != 1) break;
          float eps = 1e-5f;
          for (const auto& a : nodes[k].proto->attribute())
            if (a.name() == "epsilon") eps = a.f();
          for (int64_t c = 0; c < co; ++c) {
            const int64_t lc = c % logical_co;
            const float s = g->f[lc] / std::sqrt(var->f[lc] + eps);
            for (int64_t j = 0; j < per_out; ++j) spec.weights[c * per_out + j] *= s;
            spec.bias[c] = (spec.bias[c] - m->f[lc]) * s + b->f[lc];
          }
          absorb(k);
          continue;
        }
        if ((op == "Mul" || op == "Div") && channel_values(other_const(k, x), vals)) {
          if (op == "Div") {
            if (nodes[k].in[0] != x) break;
            for (auto& v : vals) v = 1.f / v;
          }
          if (spec.post_ops.empty()) {
            for (int64_t c = 0; c < co; ++c) {
              for (int64_t j = 0; j < per_out; ++j) spec.weights[c * per_out + j] *= vals[c];
              spec.bias[c] *= vals[c];
            }
          } else {
            spec.post_ops.push_back({PostOp::Kind::ChannelMul, 0, 0, 0, vals});
          }
          absorb(k);
          continue;
        }
        if ((op == "Add" || op == "Sub") && channel_values(other_const(k, x), vals)) {
          if (op == "Sub") {
            if (nodes[k].in[0] != x) break;
            for (auto& v : vals) v = -v;
          }
          if (spec.post_ops.empty()) {
            for (int64_t c = 0; c < co; ++c) spec.bias[c] += vals[c];
          } else {
            spec.post_ops.push_back({PostOp::Kind::ChannelAdd, 0, 0, 0, vals});
          }
          absorb(k);
          continue;
        }
        if (op == "Relu") {
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_relu), 0, 0, {}});
          absorb(k);
          continue;
        }
        if (op == "Gelu") {
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_gelu_erf), 0, 0, {}});
          absorb(k);
          continue;
        }
        if (op == "HardSwish") {
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_hardswish), 0, 0, {}});
          absorb(k);
          continue;
        }
        if (op == "Sigmoid") {
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_logistic), 0, 0, {}});
          absorb(k);
          continue;
        }
        if (op == "HardSigmoid") {
          float alpha = 0.2f, beta = 0.5f;
          for (const auto& a : nodes[k].proto->attribute()) {
            if (a.name() == "alpha") alpha = a.f();
            if (a.name() == "beta") beta = a.f();
          }
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_linear), alpha, beta, {}});
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_clip), 0.f, 1.f, {}});
          absorb(k);
          continue;
        }
        if (op == "Clip") {
          float lo = -INFINITY, hi = INFINITY;
          bool ok = true;
          for (const auto& a : nodes[k].proto->attribute()) {
            if (a.name() == "min") lo = a.f();
            if (a.name() == "max") hi = a.f();
          }
          if (nodes[k].in.size() > 1 && nodes[k].in[1] >= 0) ok = ok && scalar_of(const_of(nodes[k].in[1]), lo);
          if (nodes[k].in.size() > 2 && nodes[k].in[2] >= 0) ok = ok && scalar_of(const_of(nodes[k].in[2]), hi);
          if (!ok) break;
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_clip), lo, hi, {}});
          absorb(k);
          continue;
        }
        break;
      }
      if (cons.size() != 2) break;
      // Two-consumer patterns: x * f(x).
      int mul = -1, other = -1;
      for (int k : cons) {
        const auto& in = nodes[k].in;
        if (op_is(k, "Mul") && in.size() == 2 && (in[0] == x || in[1] == x)) {
          const int y = in[0] == x ? in[1] : in[0];
          if (y != x && !const_of(y)) { mul = k; continue; }
        }
        other = k;
      }
      if (mul < 0 || other < 0) break;
      const int gate = nodes[mul].in[0] == x ? nodes[mul].in[1] : nodes[mul].in[0];
      float s;
      // hard-swish: x * clip(x + 3, 0, 6) / 6
      if (op_is(other, "Add") && scalar_of(other_const(other, x), s) && s == 3.f) {
        const int clip = single(nodes[other].out[0]);
        if (clip < 0 || !op_is(clip, "Clip") || nodes[clip].out[0] != gate) break;
        float lo = -1, hi = -1;
        for (const auto& a : nodes[clip].proto->attribute()) {
          if (a.name() == "min") lo = a.f();
          if (a.name() == "max") hi = a.f();
        }
        if (nodes[clip].in.size() > 2) {
          if (!scalar_of(const_of(nodes[clip].in[1]), lo) || !scalar_of(const_of(nodes[clip].in[2]), hi)) break;
        }
        if (lo != 0.f || hi != 6.f) break;
        const int scale = single(nodes[mul].out[0]);
        if (scale < 0) break;
        float d;
        const bool div6 = op_is(scale, "Div") && nodes[scale].in[0] == nodes[mul].out[0] &&
                          scalar_of(const_of(nodes[scale].in[1]), d) && d == 6.f;
        const bool mul6 = op_is(scale, "Mul") && scalar_of(other_const(scale, nodes[mul].out[0]), d) &&
                          std::fabs(d - 1.f / 6.f) < 1e-6f;
        if (!div6 && !mul6) break;
        spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_hardswish), 1.f / 6.f, 0.5f, {}});
        nodes[other].removed = nodes[clip].removed = nodes[mul].removed = true;
        absorb(scale);
        continue;
      }
      // hard-swish as x * HardSigmoid(x) with alpha 1/6, beta 1/2
      if (op_is(other, "HardSigmoid") && nodes[other].out[0] == gate) {
        float alpha = 0.2f, beta = 0.5f;
        for (const auto& a : nodes[other].proto->attribute()) {
          if (a.name() == "alpha") alpha = a.f();
          if (a.name() == "beta") beta = a.f();
        }
        if (std::fabs(alpha - 1.f / 6.f) > 1e-5f || beta != 0.5f) break;
        spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_hardswish), 1.f / 6.f, 0.5f, {}});
        nodes[other].removed = true;
        absorb(mul);
        continue;
      }
      // swish: x * sigmoid(x) or x * sigmoid(beta * x)
      if (op_is(other, "Sigmoid") && nodes[other].out[0] == gate) {
        spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_swish), 1.f, 0, {}});
        nodes[other].removed = true;
        absorb(mul);
        continue;
      }
      if (op_is(other, "Mul") && scalar_of(other_const(other, x), s)) {
        const int sig = single(nodes[other].out[0]);
        if (sig < 0 || !op_is(sig, "Sigmoid") || nodes[sig].out[0] != gate) break;
        spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(dnnl::algorithm::eltwise_swish), s, 0, {}});
        nodes[other].removed = nodes[sig].removed = true;
        absorb(mul);
        continue;
      }
      break;
    }
  }
}

std::vector<Tensor> Model::Impl::run(const std::vector<Tensor>& in) {
  if (in.size() != inputs.size())
    throw ModelError("model expects " + std::to_string(inputs.size()) + " inputs, got " + std::to_string(in.size()));
  detail::set_kernel_threads(threads);
  for (auto& s : slots) {
    ctx.release(std::move(s.f));
    s = Value{};
  }
  for (size_t k = 0; k < in.size(); ++k) {
    const auto& t = in[k];
    const auto& dims = input_dims[k];
    if (t.shape.size() != dims.size())
      throw ModelError("input '" + input_names[k] + "' must have rank " + std::to_string(dims.size()) + ", got " + detail::shape_str(t.shape));
    for (size_t d = 0; d < dims.size(); ++d) {
      if (t.shape[d] <= 0) throw ModelError("input '" + input_names[k] + "' has an empty dimension: " + detail::shape_str(t.shape));
      if (dims[d] >= 0 && dims[d] != t.shape[d])
        throw ModelError("input '" + input_names[k] + "' dimension " + std::to_string(d) + " must be " + std::to_string(dims[d]) + ", got " + std::to_string(t.shape[d]));
    }
    if (static_cast<int64_t>(t.data.size()) != t.numel())
      throw ModelError("input '" + input_names[k] + "' has " + std::to_string(t.data.size()) + " values for shape " + detail::shape_str(t.shape));
    Value& v = slots[inputs[k]];
    v.shape = t.shape;
    v.dtype = DType::Float;
    v.f = ctx.acquire(t.data.size());
    std::copy(t.data.begin(), t.data.end(), v.f.begin());
  }
  std::vector<const Value*> ins;
  std::vector<Value*> outs;
  // EDGEOCR_RUNTIME_PROFILE=1 prints where a forward pass spends its time, per op type.
  static const bool profile = std::getenv("EDGEOCR_RUNTIME_PROFILE") != nullptr;
  std::map<std::string, std::pair<double, int>> op_ms;
  for (auto& step : steps) {
    const auto t0 = profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    ins.clear();
    outs.clear();
    for (int id : step.inputs) {
      if (id < 0) { ins.push_back(nullptr); continue; }
      if (constants[id]) { ins.push_back(&*constants[id]); continue; }
      Value& v = slots[id];
      if (v.nhwc && !step.kernel->accepts_nhwc()) detail::to_nchw(v, ctx);
      ins.push_back(&v);
    }
    for (int id : step.outputs) {
      ctx.release(std::move(slots[id].f));
      slots[id] = Value{};
      outs.push_back(&slots[id]);
    }
    try {
      step.kernel->run(ctx, ins, outs);
    } catch (const ModelError& e) {
      throw ModelError(step.name + ": " + e.what());
    } catch (const dnnl::error& e) {
      throw ModelError(step.name + ": oneDNN error: " + e.what());
    }
    for (int id : step.release) {
      ctx.release(std::move(slots[id].f));
      slots[id] = Value{};
    }
    if (profile) {
      auto& e = op_ms[step.name.substr(0, step.name.find(' '))];
      e.first += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      e.second++;
    }
  }
  if (profile)
    for (const auto& [op, e] : op_ms) std::fprintf(stderr, "runtime profile: %-20s %4d x %8.2f ms\n", op.c_str(), e.second, e.first);
  std::vector<Tensor> result;
  for (int id : outputs) {
    Value* v = constants[id] ? &*constants[id] : &slots[id];
    detail::to_nchw(*v, ctx);
    Tensor t;
    t.shape = v->shape;
    if (v->dtype == DType::Float) t.data.assign(v->f.begin(), v->f.begin() + v->numel());
    else t.data.assign(v->i.begin(), v->i.begin() + v->numel());
    result.push_back(std::move(t));
  }
  for (auto& s : slots) {  // everything back to the pool; keep only what this pass used
    ctx.release(std::move(s.f));
    s = Value{};
  }
  pool.end_pass(retain_buffers);
  return result;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::filesystem::path& onnx_file, const ModelOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->threads = std::max(1, options.threads);
  impl->retain_buffers = options.retain_buffers;
  set_num_threads(impl->threads);
  try {
    impl->load(onnx_file);
  } catch (const dnnl::error& e) {
    throw ModelError(onnx_file.string() + ": oneDNN error: " + e.what());
  }
  return Model(std::move(impl));
}

const std::vector<std::string>& Model::input_names() const { return impl_->input_names; }
const std::vector<std::string>& Model::output_names() const { return impl_->output_names; }
const std::map<std::string, std::string>& Model::metadata() const { return impl_->metadata; }

std::vector<Tensor> Model::run(const std::vector<Tensor>& inputs) { return impl_->run(inputs); }
void Model::release_buffers() { impl_->pool.end_pass(false); }

}  // namespace edgeocr::runtime
