// Graph rewrites that remove work: the exported erf formula becomes one Gelu; BatchNorm,
// per-channel scale/shift and activation chains fold into convolutions.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/graph.h"

namespace edgeocr::runtime::detail {
namespace {

std::optional<dnnl::algorithm> parameterless_eltwise(const std::string& op) {
  if (op == "Relu") return dnnl::algorithm::eltwise_relu;
  if (op == "Gelu") return dnnl::algorithm::eltwise_gelu_erf;
  if (op == "HardSwish") return dnnl::algorithm::eltwise_hardswish;
  if (op == "Sigmoid") return dnnl::algorithm::eltwise_logistic;
  return std::nullopt;
}

// Who reads each value and which values are graph outputs: what a rewrite checks before it
// folds a node into the one before it.
struct ValueUses {
  std::vector<std::vector<int>> consumers;  // node indices, live when computed
  std::vector<bool> is_output;
  std::vector<int> producer;                // node index, -1 for inputs and constants

  ValueUses(const std::vector<PendingNode>& nodes, size_t values, const std::vector<int>& outputs)
      : consumers(values), is_output(values, false), producer(values, -1) {
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (nodes[k].removed) continue;
      for (int id : nodes[k].in)
        if (id >= 0) consumers[id].push_back(static_cast<int>(k));
      for (int id : nodes[k].out) producer[id] = static_cast<int>(k);
    }
    for (int id : outputs) is_output[id] = true;
  }
  // The one node reading `id`, or -1 (none, several, or a graph output).
  int only_consumer(int id) const { return !is_output[id] && consumers[id].size() == 1 ? consumers[id][0] : -1; }
};

}  // namespace

// Exporters write GELU as x * (1 + erf(x / sqrt 2)) * 0.5: five passes over the tensor. The
// chain becomes one Gelu node (one pass; a post-op when it follows a convolution).
void Graph::fuse_gelu(std::vector<PendingNode>& nodes) {
  const ValueUses uses(nodes, value_names.size(), outputs);
  const auto& producer = uses.producer;
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
  auto only_consumer = [&](int id) { return uses.only_consumer(id); };
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


// Folds BatchNorm / per-channel scale and shift into convolution weights, and activation
// chains (ReLU, clip, hard-swish, swish, hard-sigmoid, per-channel affine) into oneDNN
// post-ops, so most of PaddleOCR's elementwise layers cost nothing.
void Graph::fuse_convolutions(std::vector<PendingNode>& nodes) {
  const ValueUses uses(nodes, value_names.size(), outputs);
  const auto& consumers = uses.consumers;
  const auto& is_output = uses.is_output;

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
      node.conv = conv_spec_from_node(info_for(node));
    } else if (node.proto->op_type() == "ConvTranspose") {
      ConvSpec spec;
      if (!shuffle_conv_spec_from_deconv(info_for(node), spec)) continue;
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
        // Parameterless activations map one to one onto a oneDNN eltwise post-op.
        if (const auto eltwise = parameterless_eltwise(op)) {
          spec.post_ops.push_back({PostOp::Kind::Eltwise, static_cast<int>(*eltwise), 0, 0, {}});
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

// A MatMul by a constant [K, N] matrix becomes a linear layer that owns its weights, with a
// following Add of a constant [N] bias folded in: the bias pass over the (for a recognizer's
// classifier, [rows, thousands of classes]) output disappears.
void Graph::fuse_linear_layers(std::vector<PendingNode>& nodes) {
  const ValueUses uses(nodes, value_names.size(), outputs);
  // Ranks the file states (shapes of inputs, outputs, value_info) or a Transpose's perm implies:
  // a Softmax given a positive axis folds in only when that is the last one.
  std::unordered_map<std::string, int> stated_rank;
  const auto note_rank = [&](const onnx::ValueInfoProto& v) {
    if (v.type().has_tensor_type() && v.type().tensor_type().has_shape())
      stated_rank[v.name()] = v.type().tensor_type().shape().dim_size();
  };
  for (const auto& v : proto.graph().input()) note_rank(v);
  for (const auto& v : proto.graph().output()) note_rank(v);
  for (const auto& v : proto.graph().value_info()) note_rank(v);
  for (const auto& n : nodes)
    if (!n.removed && n.proto->op_type() == "Transpose" && n.out.size() == 1)
      for (const auto& a : n.proto->attribute())
        if (a.name() == "perm") stated_rank[value_names[n.out[0]]] = a.ints_size();
  const auto rank_of = [&](int id) {
    auto it = stated_rank.find(value_names[id]);
    return it == stated_rank.end() ? -1 : it->second;
  };
  for (auto& node : nodes) {
    if (node.removed || node.proto->op_type() != "MatMul" || node.in.size() != 2 || node.in[1] < 0) continue;
    const auto& w = constants[node.in[1]];
    if (!w || w->dtype != DType::Float || w->rank() != 2) continue;
    LinearSpec spec;
    spec.name = "MatMul '" + node.proto->name() + "'";
    spec.k = w->shape[0];
    spec.n = w->shape[1];
    spec.weights.assign(w->f.begin(), w->f.begin() + w->numel());
    if (const int consumer = uses.only_consumer(node.out[0]); consumer >= 0) {
      const int y = node.out[0];
      PendingNode& add = nodes[consumer];
      const int other = add.in.size() == 2 ? (add.in[0] == y ? add.in[1] : add.in[1] == y ? add.in[0] : -1) : -1;
      const Value* b = other >= 0 && constants[other] ? &*constants[other] : nullptr;
      const bool bias_shaped = b && b->dtype == DType::Float && b->numel() == spec.n && b->rank() >= 1 && b->rank() <= 2 &&
                               b->shape.back() == spec.n && add.proto->attribute_size() == 0;
      if (!add.removed && add.proto->op_type() == "Add" && bias_shaped) {
        spec.bias.assign(b->f.begin(), b->f.begin() + spec.n);
        add.removed = true;
        node.out[0] = add.out[0];
      }
    }
    // A classifier's Softmax over its outputs: computed block by block right after the product,
    // while the block is still in cache, instead of another pass over [rows, classes] in memory.
    if (const int consumer = uses.only_consumer(node.out[0]); consumer >= 0) {
      const int z = node.out[0];
      PendingNode& soft = nodes[consumer];
      int64_t axis = opset >= 13 ? -1 : 1;
      for (const auto& a : soft.proto->attribute())
        if (a.name() == "axis") axis = a.i();
      const int rank = std::max({rank_of(node.in[0]), rank_of(z), soft.out.empty() ? -1 : rank_of(soft.out[0])});
      const bool last_axis = axis == -1 || (rank > 0 && axis == rank - 1);
      if (!soft.removed && soft.proto->op_type() == "Softmax" && soft.in.size() == 1 && soft.in[0] == z && last_axis &&
          soft.proto->attribute_size() <= 1) {
        spec.softmax = true;
        soft.removed = true;
        node.out[0] = soft.out[0];
      }
    }
    node.linear = std::move(spec);
  }
}

}  // namespace edgeocr::runtime::detail
