// Convolution family through oneDNN on NHWC activations: Conv (with fused post-ops),
// ConvTranspose, max/average pooling, GlobalAveragePool.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <cstring>
#include <unordered_map>

namespace edgeocr::runtime::detail {
namespace {

// A (de)convolution primitive prepared for one input shape, with its weights in the layout it
// chose (shared between shapes that chose the same layout).
template <class Primitive>
struct PreparedConvolution {
  Primitive primitive;
  dnnl::memory::desc src_md, dst_md;
  dnnl::memory weights;
  dnnl::memory::desc scratchpad_md;
};

// ---------------------------------------------------------------------------------------
// oneDNN convolution (NHWC activations, weights reordered once per chosen layout). With an
// int8 input scale the weights are 8-bit per output channel and each input is quantised by a
// reorder with that fixed scale; the output stays float, so post-ops and the next layer are
// unchanged.

// Below this many input channels (an image's first convolution) int8 saves too little to pay
// for quantising the input.
constexpr int64_t kInt8MinInputChannels = 16;

class ConvKernel : public Kernel {
 public:
  explicit ConvKernel(ConvSpec spec) : spec_(std::move(spec)) {
    const auto& ws = spec_.weight_shape;
    co_ = ws[0];
    ci_ = ws[1] * spec_.group;
    kh_ = ws[2];
    kw_ = ws[3];
    if (spec_.bias.empty()) spec_.bias.assign(static_cast<size_t>(co_), 0.f);
    for (const auto& p : spec_.post_ops) {
      if (p.kind != PostOp::Kind::Eltwise) {
        // Per-channel operand memory for binary post-ops, [1,Co,1,1].
        channel_mems_.emplace_back(dnnl::memory::desc({1, co_, 1, 1}, dnnl::memory::data_type::f32,
                                                      dnnl::memory::format_tag::nchw),
                                   cpu_engine(), const_cast<float*>(p.channel.data()));
      }
    }
    if (spec_.int8) quantise_weights();
    keep_plain_weights();
    user_bias_ = dnnl::memory({{co_}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x}, cpu_engine(),
                              spec_.bias.data());
  }
  bool accepts_nhwc() const override { return true; }
  bool int8_capable() const override { return spec_.group == 1 && ci_ >= kInt8MinInputChannels; }

  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4) fail(spec_.name + ": Conv expects a 4-D input, got " + shape_str(x->shape));
    if (x->shape[1] != ci_)
      fail(spec_.name + ": input has " + std::to_string(x->shape[1]) + " channels, weights expect " + std::to_string(ci_));
    if (!x->nhwc) {
      tmp = *x;
      to_nhwc(tmp, ctx);
      x = &tmp;
    }
    const int64_t n = x->shape[0], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h + spec_.pads[0] + spec_.pads[2] - ((kh_ - 1) * spec_.dilations[0] + 1)) / spec_.strides[0] + 1;
    const int64_t wo = (w + spec_.pads[1] + spec_.pads[3] - ((kw_ - 1) * spec_.dilations[1] + 1)) / spec_.strides[1] + 1;
    if (ho <= 0 || wo <= 0) fail(spec_.name + ": input " + shape_str(x->shape) + " too small for the kernel");
    const auto prepared = cache_.get({n, h, w}, [&] { return prepare(n, h, w, ho, wo); });
    const Prepared& p = *prepared;
    Value& y = *out[0];
    Buffer conv_out;  // pre-shuffle result when this is a rewritten deconvolution
    const int64_t s = spec_.shuffle;
    if (s > 1) {
      conv_out = ctx.acquire(static_cast<size_t>(n * ho * wo * co_));
      alloc_float(y, {n, co_ / (s * s), ho * s, wo * s}, ctx, true);
    } else {
      alloc_float(y, {n, co_, ho, wo}, ctx, true);
    }
    dnnl::memory src(p.float_src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    Buffer quantised;
    if (p.quantise) {
      quantised = ctx.acquire((p.conv.src_md.get_size() + sizeof(float) - 1) / sizeof(float));
      dnnl::memory q(p.conv.src_md, cpu_engine(), quantised.data());
      p.quantise->execute(cpu_stream(), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, q},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad_for(p.quantise_scratchpad_md)}});
      src = q;
    }
    dnnl::memory dst(p.conv.dst_md, cpu_engine(), s > 1 ? conv_out.data() : y.f.data());
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.conv.weights},
                                               {DNNL_ARG_BIAS, user_bias_}, {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, scratchpad_for(p.conv.scratchpad_md)}};
    size_t m = 0;
    for (size_t k = 0; k < spec_.post_ops.size(); ++k)
      if (spec_.post_ops[k].kind != PostOp::Kind::Eltwise)
        args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(static_cast<int>(k)) | DNNL_ARG_SRC_1] = channel_mems_[m++];
    p.conv.primitive.execute(cpu_stream(), args);
    cpu_stream().wait();
    if (s > 1) {
      // Pixel shuffle: [n,i,j,(a*s+b)*C+c] -> [n, i*s+a, j*s+b, c], C contiguous floats each.
      const int64_t c = co_ / (s * s), wout = wo * s;
      float* d = y.f.data();
      const float* src_data = conv_out.data();
#pragma omp parallel for if (n * ho * wo * co_ > kParallelThreshold)
      for (int64_t ni = 0; ni < n * ho; ++ni)
        for (int64_t j = 0; j < wo; ++j)
          for (int64_t a = 0; a < s; ++a)
            for (int64_t b = 0; b < s; ++b)
              std::memcpy(d + ((ni * s + a) * wout + j * s + b) * c, src_data + ((ni * wo + j) * s * s + a * s + b) * c,
                          sizeof(float) * c);
      conv_out = Buffer();
    }
  }

 private:
  struct Prepared {
    PreparedConvolution<dnnl::convolution_forward> conv;
    dnnl::memory::desc float_src_md;       // the float activation as it arrives
    std::optional<dnnl::reorder> quantise;  // float -> 8-bit input, int8 only
    dnnl::memory::desc quantise_scratchpad_md;
  };

  // Symmetric per-output-channel 8-bit weights. The input's zero point adds zero_point * sum(w)
  // to every output, taken back out of the bias; oneDNN adds the bias to the integer
  // accumulator and then applies the output scale, so the bias is stored divided by that scale.
  void quantise_weights() {
    const size_t per_channel = spec_.weights.size() / static_cast<size_t>(co_);
    int8_weights_.resize(spec_.weights.size());
    output_scales_.resize(static_cast<size_t>(co_));
    float layer_amax = 0;
    for (float v : spec_.weights) layer_amax = std::max(layer_amax, std::fabs(v));
    for (size_t o = 0; o < static_cast<size_t>(co_); ++o) {
      const float* wo = spec_.weights.data() + o * per_channel;
      float amax = 0;
      for (size_t k = 0; k < per_channel; ++k) amax = std::max(amax, std::fabs(wo[k]));
      // A channel whose weights are negligible next to the layer's (trained models have some at
      // denormal sizes, whose scale would overflow) is a zero channel: its output is its bias.
      const bool negligible = !(amax > layer_amax * 1e-6f);
      const float wscale = negligible ? 0.f : 127.f / amax;
      int64_t sum = 0;
      for (size_t k = 0; k < per_channel; ++k) {
        const auto q = static_cast<int8_t>(std::clamp(std::lround(wo[k] * wscale), -127L, 127L));
        int8_weights_[o * per_channel + k] = q;
        sum += q;
      }
      output_scales_[o] = negligible ? 1.f : 1.f / (spec_.int8->scale * wscale);
      spec_.bias[o] = spec_.bias[o] / output_scales_[o] - static_cast<float>(spec_.int8->zero_point * sum);
    }
  }

  Prepared prepare(int64_t n, int64_t h, int64_t w, int64_t ho, int64_t wo) const {
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    const bool int8 = spec_.int8.has_value();
    const dt src_type = !int8 ? dt::f32 : spec_.int8->is_unsigned ? dt::u8 : dt::s8;
    const dt weight_type = int8 ? dt::s8 : dt::f32;
    dnnl::memory::desc float_src_md({n, ci_, h, w}, dt::f32, tag::nhwc);
    dnnl::memory::desc src_md({n, ci_, h, w}, src_type, tag::nhwc);
    dnnl::memory::desc dst_md({n, co_, ho, wo}, dt::f32, tag::nhwc);
    dnnl::memory::dims wdims = spec_.group > 1
                                   ? dnnl::memory::dims{spec_.group, co_ / spec_.group, ci_ / spec_.group, kh_, kw_}
                                   : dnnl::memory::dims{co_, ci_, kh_, kw_};
    dnnl::memory::desc w_any(wdims, weight_type, tag::any);
    dnnl::memory::desc b_md({co_}, dt::f32, tag::x);
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_any, b_md, dst_md,
        {spec_.strides[0], spec_.strides[1]}, {spec_.dilations[0] - 1, spec_.dilations[1] - 1},
        {spec_.pads[0], spec_.pads[1]}, {spec_.pads[2], spec_.pads[3]});
    dnnl::post_ops ops;
    for (const auto& p : spec_.post_ops) {
      if (p.kind == PostOp::Kind::Eltwise)
        ops.append_eltwise(1.f, static_cast<dnnl::algorithm>(p.algorithm), p.alpha, p.beta);
      else
        ops.append_binary(p.kind == PostOp::Kind::ChannelMul ? dnnl::algorithm::binary_mul : dnnl::algorithm::binary_add,
                          dnnl::memory::desc({1, co_, 1, 1}, dt::f32, tag::nchw));
    }
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(ops);
    if (int8) attr.set_output_scales(1 << 1, output_scales_);  // per output channel (dimension 1)
    dnnl::convolution_forward::primitive_desc pd(desc, attr, cpu_engine());
    Prepared prepared{{dnnl::convolution_forward(pd), src_md, dst_md, weights_->in_layout(pd.weights_desc()), pd.scratchpad_desc()},
                      float_src_md, std::nullopt, {}};
    if (int8) {
      dnnl::primitive_attr quantise_attr = user_scratchpad_attr();
      quantise_attr.set_output_scales(0, {spec_.int8->scale});
      if (spec_.int8->zero_point) quantise_attr.set_zero_points(DNNL_ARG_DST, 0, {spec_.int8->zero_point});
      dnnl::reorder::primitive_desc rpd(cpu_engine(), float_src_md, cpu_engine(), src_md, quantise_attr);
      prepared.quantise = dnnl::reorder(rpd);
      prepared.quantise_scratchpad_md = rpd.scratchpad_desc();
    }
    return prepared;
  }

  // [Co, Ci/g, kh, kw] weights (8-bit or float), packed per layout from here on.
  void keep_plain_weights() {
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::dims wdims = spec_.group > 1
                                         ? dnnl::memory::dims{spec_.group, co_ / spec_.group, ci_ / spec_.group, kh_, kw_}
                                         : dnnl::memory::dims{co_, ci_, kh_, kw_};
    const bool int8 = spec_.int8.has_value();
    const dnnl::memory::desc plain(wdims, int8 ? dnnl::memory::data_type::s8 : dnnl::memory::data_type::f32,
                                   spec_.group > 1 ? tag::goihw : tag::oihw);
    weights_.emplace(plain, int8 ? static_cast<const void*>(int8_weights_.data()) : spec_.weights.data());
    int8_weights_ = {};
    spec_.weights = {};
  }

  ConvSpec spec_;
  int64_t co_, ci_, kh_, kw_;
  std::vector<int8_t> int8_weights_;  // [Co, Ci, kh, kw], int8 only, until keep_plain_weights()
  std::vector<float> output_scales_;  // per output channel, int8 only
  std::vector<dnnl::memory> channel_mems_;
  dnnl::memory user_bias_;
  PrimitiveCache<std::array<int64_t, 3>, Prepared> cache_;
  std::optional<PackedWeights> weights_;
};

// ConvTranspose (group 1) through oneDNN deconvolution.
class DeconvKernel : public Kernel {
 public:
  DeconvKernel(std::string name, std::vector<float> weights, std::vector<int64_t> wshape, std::vector<float> bias,
               std::vector<int64_t> strides, std::vector<int64_t> pads)
      : name_(std::move(name)), weights_(std::move(weights)), bias_(std::move(bias)),
        strides_(std::move(strides)), pads_(std::move(pads)) {
    ci_ = wshape[0];
    co_ = wshape[1];
    kh_ = wshape[2];
    kw_ = wshape[3];
    if (bias_.empty()) bias_.assign(static_cast<size_t>(co_), 0.f);
  }
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4 || x->shape[1] != ci_) fail(name_ + ": unexpected input " + shape_str(x->shape));
    if (!x->nhwc) { tmp = *x; to_nhwc(tmp, ctx); x = &tmp; }
    const int64_t n = x->shape[0], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h - 1) * strides_[0] - pads_[0] - pads_[2] + kh_;
    const int64_t wo = (w - 1) * strides_[1] - pads_[1] - pads_[3] + kw_;
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    const auto prepared = cache_.get({n, h, w}, [&] {
      dnnl::memory::desc src_md({n, ci_, h, w}, dt::f32, tag::nhwc);
      dnnl::memory::desc dst_md({n, co_, ho, wo}, dt::f32, tag::nhwc);
      dnnl::memory::desc w_any({co_, ci_, kh_, kw_}, dt::f32, tag::any);
      dnnl::memory::desc b_md({co_}, dt::f32, tag::x);
      dnnl::deconvolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                             src_md, w_any, b_md, dst_md, {strides_[0], strides_[1]},
                                             {pads_[0], pads_[1]}, {pads_[2], pads_[3]});
      dnnl::deconvolution_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      // ONNX stores deconvolution weights as [Ci, Co, kh, kw]: oneDNN's "iohw" tag.
      dnnl::memory user({{co_, ci_, kh_, kw_}, dt::f32, tag::iohw}, cpu_engine(), const_cast<float*>(weights_.data()));
      dnnl::memory wmem(pd.weights_desc(), cpu_engine());
      dnnl::reorder(user, wmem).execute(cpu_stream(), user, wmem);
      cpu_stream().wait();
      return Prepared{dnnl::deconvolution_forward(pd), src_md, dst_md, wmem, pd.scratchpad_desc()};
    });
    Value& y = *out[0];
    alloc_float(y, {n, co_, ho, wo}, ctx, true);
    dnnl::memory src(prepared->src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    dnnl::memory dst(prepared->dst_md, cpu_engine(), y.f.data());
    dnnl::memory bias({{co_}, dt::f32, tag::x}, cpu_engine(), const_cast<float*>(bias_.data()));
    prepared->primitive.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, prepared->weights},
                                               {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, scratchpad_for(prepared->scratchpad_md)}});
    cpu_stream().wait();
  }

 private:
  using Prepared = PreparedConvolution<dnnl::deconvolution_forward>;
  std::string name_;
  std::vector<float> weights_, bias_;
  std::vector<int64_t> strides_, pads_;
  int64_t ci_, co_, kh_, kw_;
  PrimitiveCache<std::array<int64_t, 3>, Prepared> cache_;
};

std::unique_ptr<Kernel> make_deconv(const NodeInfo& n) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "output_padding", "auto_pad"});
  if (attrs.i("group", 1) != 1) fail(n.describe() + ": only group=1 is supported");
  if (attrs.s("auto_pad", "NOTSET") != "NOTSET") fail(n.describe() + ": auto_pad is not supported");
  for (auto d : attrs.ints("dilations", {1, 1}))
    if (d != 1) fail(n.describe() + ": dilations other than 1 are not supported");
  for (auto p : attrs.ints("output_padding", {0, 0}))
    if (p != 0) fail(n.describe() + ": output_padding is not supported");
  const Value& w = require_const(n, 0 + 1, "W");
  if (w.rank() != 4) fail(n.describe() + ": weights must be 4-D");
  std::vector<float> bias;
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) bias = as_floats(require_const(n, 2, "B"));
  auto pads = attrs.ints("pads", {0, 0, 0, 0});
  auto strides = attrs.ints("strides", {1, 1});
  if (pads.size() != 4 || strides.size() != 2) fail(n.describe() + ": only 2-D deconvolution is supported");
  return std::make_unique<DeconvKernel>(n.proto->name(), as_floats(w), w.shape, std::move(bias), strides, pads);
}

// Pooling through oneDNN (NHWC).
class PoolKernel : public Kernel {
 public:
  PoolKernel(dnnl::algorithm alg, std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads)
      : alg_(alg), kernel_(std::move(kernel)), strides_(std::move(strides)), pads_(std::move(pads)) {}
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value* x = in[0];
    Value tmp;
    if (x->rank() != 4) fail("pooling expects a 4-D input");
    if (!x->nhwc) { tmp = *x; to_nhwc(tmp, ctx); x = &tmp; }
    const int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
    const int64_t ho = (h + pads_[0] + pads_[2] - kernel_[0]) / strides_[0] + 1;
    const int64_t wo = (w + pads_[1] + pads_[3] - kernel_[1]) / strides_[1] + 1;
    if (ho <= 0 || wo <= 0) fail("pooling: input " + shape_str(x->shape) + " smaller than the window");
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    dnnl::memory::desc src_md({n, c, h, w}, dt::f32, tag::nhwc);
    dnnl::memory::desc dst_md({n, c, ho, wo}, dt::f32, tag::nhwc);
    const auto prepared = cache_.get({n, c, h, w}, [&] {
      dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg_, src_md, dst_md,
                                       {strides_[0], strides_[1]}, {kernel_[0], kernel_[1]}, {pads_[0], pads_[1]},
                                       {pads_[2], pads_[3]});
      dnnl::pooling_forward::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      return std::make_pair(dnnl::pooling_forward(pd), pd.scratchpad_desc());
    });
    Value& y = *out[0];
    alloc_float(y, {n, c, ho, wo}, ctx, true);
    dnnl::memory src(src_md, cpu_engine(), const_cast<float*>(x->f.data()));
    dnnl::memory dst(dst_md, cpu_engine(), y.f.data());
    prepared->first.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_for(prepared->second)}});
    cpu_stream().wait();
  }

 private:
  dnnl::algorithm alg_;
  std::vector<int64_t> kernel_, strides_, pads_;
  PrimitiveCache<std::array<int64_t, 4>, std::pair<dnnl::pooling_forward, dnnl::memory::desc>> cache_;
};

// Explicit pads [top, left, bottom, right] for a node's `auto_pad`. SAME_* padding depends on
// the input size unless every stride is 1, so only that case is accepted.
std::vector<int64_t> resolve_auto_pad(const NodeInfo& n, const Attrs& attrs, const std::vector<int64_t>& kernel,
                                      const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations) {
  const std::string mode = attrs.s("auto_pad", "NOTSET");
  if (mode == "NOTSET") return attrs.ints("pads", {0, 0, 0, 0});
  if (attrs.has("pads")) fail(n.describe() + ": both pads and auto_pad are set");
  if (mode == "VALID") return {0, 0, 0, 0};
  if (mode != "SAME_UPPER" && mode != "SAME_LOWER") fail(n.describe() + ": auto_pad '" + mode + "' is not supported");
  if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
    fail(n.describe() + ": only 2-D auto_pad is supported");
  std::vector<int64_t> pads(4);
  for (size_t d = 0; d < 2; ++d) {
    if (strides[d] != 1) fail(n.describe() + ": auto_pad SAME with a stride other than 1 is not supported");
    const int64_t total = (kernel[d] - 1) * dilations[d];
    const int64_t small = total / 2, large = total - small;
    pads[d] = mode == "SAME_UPPER" ? small : large;  // SAME_UPPER puts the extra pixel at the end
    pads[d + 2] = total - pads[d];
  }
  return pads;
}

std::unique_ptr<Kernel> make_pool(const NodeInfo& n, bool is_max) {
  Attrs attrs(n, {"kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "auto_pad", "dilations",
                  "storage_order"});
  if (attrs.i("ceil_mode", 0) != 0) fail(n.describe() + ": ceil_mode=1 is not supported");
  if (attrs.i("storage_order", 0) != 0) fail(n.describe() + ": storage_order=1 is not supported");
  for (auto d : attrs.ints("dilations", {1, 1}))
    if (d != 1) fail(n.describe() + ": dilations other than 1 are not supported");
  auto kernel = attrs.ints("kernel_shape", {});
  if (kernel.size() != 2) fail(n.describe() + ": only 2-D pooling is supported");
  auto strides = attrs.ints("strides", {1, 1});
  auto pads = resolve_auto_pad(n, attrs, kernel, strides, {1, 1});
  dnnl::algorithm alg = is_max ? dnnl::algorithm::pooling_max
                        : attrs.i("count_include_pad", 0) ? dnnl::algorithm::pooling_avg_include_padding
                                                           : dnnl::algorithm::pooling_avg_exclude_padding;
  return std::make_unique<PoolKernel>(alg, kernel, strides, pads);
}

class GlobalAvgPoolKernel : public Kernel {
 public:
  bool accepts_nhwc() const override { return true; }
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value& x = *in[0];
    if (x.rank() != 4) fail("GlobalAveragePool expects a 4-D input");
    const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
    alloc_float(*out[0], {n, c, 1, 1}, ctx, false);
    float* d = out[0]->f.data();
    const float inv = 1.f / static_cast<float>(hw);
    for (int64_t b = 0; b < n; ++b) {
      float* db = d + b * c;
      if (x.nhwc) {
        std::fill(db, db + c, 0.f);
        const float* s = x.f.data() + b * hw * c;
        for (int64_t p = 0; p < hw; ++p)
          for (int64_t ch = 0; ch < c; ++ch) db[ch] += s[p * c + ch];
      } else {
        for (int64_t ch = 0; ch < c; ++ch) {
          const float* s = x.f.data() + (b * c + ch) * hw;
          double acc = 0;
          for (int64_t p = 0; p < hw; ++p) acc += s[p];
          db[ch] = static_cast<float>(acc);
        }
      }
      for (int64_t ch = 0; ch < c; ++ch) db[ch] *= inv;
    }
  }
};

std::unique_ptr<Kernel> make_conv(const NodeInfo& n) { return make_conv_kernel(conv_spec_from_node(n)); }
std::unique_ptr<Kernel> make_average_pool(const NodeInfo& n) { return make_pool(n, false); }
std::unique_ptr<Kernel> make_max_pool(const NodeInfo& n) {
  if (n.proto->output_size() > 1) fail(n.describe() + ": the Indices output is not supported");
  return make_pool(n, true);
}
std::unique_ptr<Kernel> make_global_average_pool(const NodeInfo& n) {
  Attrs a(n, {});
  return std::make_unique<GlobalAvgPoolKernel>();
}

constexpr OpEntry kOps[] = {
    {"Conv", make_conv},
    {"ConvTranspose", make_deconv},
    {"AveragePool", make_average_pool},
    {"MaxPool", make_max_pool},
    {"GlobalAveragePool", make_global_average_pool},
};

}  // namespace

std::span<const OpEntry> conv_ops() { return kOps; }

ConvSpec conv_spec_from_node(const NodeInfo& n) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "auto_pad"});
  ConvSpec spec;
  spec.name = n.describe();
  const Value& w = require_const(n, 1, "W");
  if (w.rank() != 4) fail(n.describe() + ": only 2-D convolutions are supported");
  spec.weights = as_floats(w);
  spec.weight_shape = w.shape;
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) spec.bias = as_floats(require_const(n, 2, "B"));
  spec.group = attrs.i("group", 1);
  spec.strides = attrs.ints("strides", {1, 1});
  spec.dilations = attrs.ints("dilations", {1, 1});
  const auto ks = attrs.ints("kernel_shape", {w.shape[2], w.shape[3]});
  spec.pads = resolve_auto_pad(n, attrs, ks, spec.strides, spec.dilations);
  if (ks.size() != 2 || ks[0] != w.shape[2] || ks[1] != w.shape[3]) fail(n.describe() + ": kernel_shape does not match the weights");
  if (spec.strides.size() != 2 || spec.pads.size() != 4 || spec.dilations.size() != 2)
    fail(n.describe() + ": only 2-D convolutions are supported");
  if (spec.group < 1 || w.shape[0] % spec.group) fail(n.describe() + ": invalid group");
  if (spec.bias.empty()) spec.bias.assign(static_cast<size_t>(w.shape[0]), 0.f);
  return spec;
}

bool shuffle_conv_spec_from_deconv(const NodeInfo& n, ConvSpec& spec) {
  Attrs attrs(n, {"dilations", "group", "kernel_shape", "pads", "strides", "output_padding", "auto_pad"});
  if (attrs.i("group", 1) != 1 || attrs.s("auto_pad", "NOTSET") != "NOTSET") return false;
  if (n.constant_inputs.size() < 2 || !n.constant_inputs[1] || n.constant_inputs[1]->rank() != 4) return false;
  const Value& w = *n.constant_inputs[1];
  const int64_t ci = w.shape[0], co = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  const auto strides = attrs.ints("strides", {1, 1});
  for (auto p : attrs.ints("pads", {0, 0, 0, 0})) if (p) return false;
  for (auto p : attrs.ints("output_padding", {0, 0})) if (p) return false;
  for (auto d : attrs.ints("dilations", {1, 1})) if (d != 1) return false;
  if (strides.size() != 2 || kh != kw || strides[0] != kh || strides[1] != kw || kh < 2) return false;
  std::vector<float> bias(static_cast<size_t>(co), 0.f);
  if (n.proto->input_size() > 2 && !n.proto->input(2).empty()) {
    if (n.constant_inputs.size() < 3 || !n.constant_inputs[2]) return false;
    bias = as_floats(*n.constant_inputs[2]);
  }
  const auto wf = as_floats(w);
  const int64_t s = kh, cout = s * s * co;
  spec = ConvSpec{};
  spec.name = n.describe();
  spec.weight_shape = {cout, ci, 1, 1};
  spec.weights.assign(static_cast<size_t>(cout * ci), 0.f);
  spec.bias.assign(static_cast<size_t>(cout), 0.f);
  for (int64_t a = 0; a < s; ++a)
    for (int64_t b = 0; b < s; ++b)
      for (int64_t o = 0; o < co; ++o) {
        const int64_t k = (a * s + b) * co + o;
        spec.bias[k] = bias[o];
        for (int64_t c = 0; c < ci; ++c) spec.weights[k * ci + c] = wf[((c * co + o) * kh + a) * kw + b];
      }
  spec.shuffle = s;
  return true;
}

std::unique_ptr<Kernel> make_conv_kernel(ConvSpec spec) { return std::make_unique<ConvKernel>(std::move(spec)); }

}  // namespace edgeocr::runtime::detail
