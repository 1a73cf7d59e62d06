// Operator kernels of the runtime. Each ONNX node becomes one Kernel, built (and validated)
// at load time from the node's attributes and constant inputs. A kernel is part of the loaded,
// shared model: run() is const and may be called from several threads at once, each with its
// own ExecContext.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <onnx/onnx-ml.pb.h>

#include "runtime/tensor_value.h"

namespace edgeocr::runtime::detail {

// Per-run state a kernel may use: where its output and scratch buffers come from.
struct ExecContext {
  Allocator& allocator;
  Buffer acquire(size_t n) { return Buffer(n, &allocator); }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Inputs may be null for omitted optional inputs. Outputs are cleared values to fill.
  virtual void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const = 0;
  // True if the kernel can consume an NHWC 4-D input directly (otherwise the executor
  // converts it to NCHW first).
  virtual bool accepts_nhwc() const { return false; }
  // True if an int8 table may list this kernel's first input (a dense convolution with enough
  // input channels to gain from it): calibration records that input's range.
  virtual bool int8_capable() const { return false; }
};

// What the loader knows about a node when building its kernel.
struct NodeInfo {
  const onnx::NodeProto* proto = nullptr;
  std::vector<const Value*> constant_inputs;  // null where the input is not a constant
  int opset = 11;
  std::string describe() const;               // "Conv node 'name'" for messages
};

// The op table: ONNX op type -> kernel factory. Each kernel family lists its ops.
using KernelFactory = std::unique_ptr<Kernel> (*)(const NodeInfo& node);
struct OpEntry {
  const char* op;
  KernelFactory make;
};
std::span<const OpEntry> conv_ops();
std::span<const OpEntry> elementwise_ops();
std::span<const OpEntry> shape_ops();
std::span<const OpEntry> reduce_ops();
std::span<const OpEntry> matmul_ops();

// Throws ModelError for an unsupported op or attribute (message names the node).
std::unique_ptr<Kernel> make_kernel(const NodeInfo& node);

// Post-operations fused into a convolution (applied in order to its output).
struct PostOp {
  enum class Kind { Eltwise, ChannelMul, ChannelAdd };
  Kind kind = Kind::Eltwise;
  int algorithm = 0;  // dnnl::algorithm for Eltwise
  float alpha = 0, beta = 0;
  std::vector<float> channel;  // per-output-channel factors for ChannelMul/ChannelAdd
};

// How a layer that runs in int8 quantises its float input with the fixed scale and zero point
// of an int8 table: q = round(x * scale) + zero_point (unsigned), or symmetric q = round(x * scale)
// (signed).
struct Int8Input {
  float scale = 0;
  bool is_unsigned = false;
  int zero_point = 0;  // unsigned only
};

// A convolution whose weights/bias may have been rewritten by the optimizer.
struct ConvSpec {
  std::string name;
  std::vector<float> weights;  // [Co, Ci/g, kh, kw]
  std::vector<int64_t> weight_shape;
  std::vector<float> bias;     // [Co] (zeros if absent)
  int64_t group = 1;
  std::vector<int64_t> strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};
  std::vector<PostOp> post_ops;
  // >1 for a stride-s ConvTranspose with kernel s rewritten as a 1x1 convolution to
  // s*s*Co channels followed by a pixel shuffle (channel k -> sub-pixel k / Co, channel k % Co).
  int64_t shuffle = 1;
  // Set from an int8 table: 8-bit weights scaled per output channel, 8-bit input.
  std::optional<Int8Input> int8;
};

std::unique_ptr<Kernel> make_conv_kernel(ConvSpec spec);

// A MatMul whose right operand is a constant [K, N] matrix (a linear layer), with the bias Add
// and the Softmax that followed it folded in.
struct LinearSpec {
  std::string name;
  std::vector<float> weights;  // [K, N], row-major
  int64_t k = 0, n = 0;
  std::vector<float> bias;     // [N] (zeros if absent)
  bool softmax = false;        // a Softmax over the N outputs followed, folded in
  // Set from an int8 table: 8-bit weights scaled per output column, 8-bit input.
  std::optional<Int8Input> int8;
};

std::unique_ptr<Kernel> make_linear_kernel(LinearSpec spec);
// Parses a Conv node (attributes validated) with constant weights/bias into a ConvSpec.
ConvSpec conv_spec_from_node(const NodeInfo& node);
// The same for a ConvTranspose that can be rewritten (kernel == stride, no padding, group 1);
// returns false when it cannot.
bool shuffle_conv_spec_from_deconv(const NodeInfo& node, ConvSpec& spec);

// Conversions between layouts (used by the executor).
void to_nchw(Value& v, ExecContext& ctx);
void to_nhwc(Value& v, ExecContext& ctx);

void set_kernel_threads(int threads);

}  // namespace edgeocr::runtime::detail
