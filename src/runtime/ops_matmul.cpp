// MatMul through oneDNN: the attention and projection layers of the recognizers, and linear
// layers (constant weights, fused bias, int8 where an int8 table lists them).
#include "runtime/kernel_support.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace edgeocr::runtime::detail {
namespace {

// ---------------------------------------------------------------------------------------
// MatMul through oneDNN (row-major, batched with broadcasting of a 2-D right operand).

class MatMulKernel : public Kernel {
 public:
  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value& a = *in[0];
    const Value& b = *in[1];
    if (a.rank() < 2 || b.rank() < 2) fail("MatMul: operands must be at least 2-D (got " + shape_str(a.shape) + " x " + shape_str(b.shape) + ")");
    const int64_t m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
    const int64_t kb = b.shape[b.rank() - 2], nn = b.shape[b.rank() - 1];
    if (k != kb) fail("MatMul: inner dimensions differ: " + shape_str(a.shape) + " x " + shape_str(b.shape));
    std::vector<int64_t> out_shape;
    int64_t batch = 1, rows = m;
    if (b.rank() == 2) {
      out_shape.assign(a.shape.begin(), a.shape.end() - 1);
      out_shape.push_back(nn);
      for (int d = 0; d + 2 < a.rank(); ++d) rows *= a.shape[d];
    } else {
      if (a.rank() != b.rank() || !std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()))
        fail("MatMul: batch dimensions must match: " + shape_str(a.shape) + " x " + shape_str(b.shape));
      for (int d = 0; d + 2 < a.rank(); ++d) batch *= a.shape[d];
      out_shape = a.shape;
      out_shape.back() = nn;
    }
    alloc_float(*out[0], out_shape, ctx);
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const std::array<int64_t, 4> key{batch, rows, k, nn};
    dnnl::memory::desc a_md({batch, rows, k}, dt::f32, tag::abc);
    dnnl::memory::desc b_md({b.rank() == 2 ? 1 : batch, k, nn}, dt::f32, tag::abc);
    dnnl::memory::desc c_md({batch, rows, nn}, dt::f32, tag::abc);
    const auto prepared = cache_.get(key, [&] {
      dnnl::matmul::desc desc(a_md, b_md, c_md);
      dnnl::matmul::primitive_desc pd(desc, user_scratchpad_attr(), cpu_engine());
      return std::make_pair(dnnl::matmul(pd), pd.scratchpad_desc());
    });
    dnnl::memory ma(a_md, cpu_engine(), const_cast<float*>(a.f.data()));
    dnnl::memory mb(b_md, cpu_engine(), const_cast<float*>(b.f.data()));
    dnnl::memory mc(c_md, cpu_engine(), out[0]->f.data());
    prepared->first.execute(cpu_stream(), {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc},
                                            {DNNL_ARG_SCRATCHPAD, scratchpad_for(prepared->second)}});
    cpu_stream().wait();
  }

 private:
  PrimitiveCache<std::array<int64_t, 4>, std::pair<dnnl::matmul, dnnl::memory::desc>> cache_;
};

// Below this many outputs a linear layer (an attention projection) gains too little from int8
// to pay for quantising its input; a classifier over thousands of classes gains most.
constexpr int64_t kInt8MinOutputs = 1024;

// x[..., K] times constant weights [K, N] plus bias, as one oneDNN matmul over all rows.
class LinearKernel : public Kernel {
 public:
  explicit LinearKernel(LinearSpec spec) : spec_(std::move(spec)) {
    if (spec_.bias.empty()) spec_.bias.assign(static_cast<size_t>(spec_.n), 0.f);
    if (spec_.int8) quantise_weights();
    keep_plain_weights();
    user_bias_ = dnnl::memory({{1, spec_.n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab}, cpu_engine(),
                              spec_.bias.data());
  }
  bool int8_capable() const override { return spec_.n >= kInt8MinOutputs; }

  void run(ExecContext& ctx, const std::vector<const Value*>& in, std::vector<Value*>& out) const override {
    const Value& x = *in[0];
    if (x.rank() < 1 || x.shape.back() != spec_.k)
      fail(spec_.name + ": MatMul input " + shape_str(x.shape) + " does not end in the weights' " + std::to_string(spec_.k));
    const int64_t rows = x.numel() / spec_.k;
    std::vector<int64_t> out_shape = x.shape;
    out_shape.back() = spec_.n;
    alloc_float(*out[0], out_shape, ctx);
    if (rows == 0) return;  // an empty intermediate: no blocks (inputs are refused empty)
    // With a folded softmax the rows go in blocks small enough for the block's scores to stay
    // in cache between the product and the softmax.
    const int64_t block = spec_.softmax ? std::min(rows, kSoftmaxBlockRows) : rows;
    const auto full = cache_.get(block, [&] { return prepare(block); });
    const auto last = rows % block ? cache_.get(rows % block, [&] { return prepare(rows % block); }) : full;
    const float* src_floats = x.f.data();
    Buffer quantised;
    if (spec_.int8) {  // the whole input at once: it is small ([rows, K])
      quantised = ctx.acquire((static_cast<size_t>(rows * spec_.k) + sizeof(float) - 1) / sizeof(float));
      const auto q = quantiser_.get(rows, [&] { return prepare_quantiser(rows); });
      dnnl::memory from(float_rows(rows), cpu_engine(), const_cast<float*>(src_floats));
      dnnl::memory to(quantised_rows(rows), cpu_engine(), quantised.data());
      q->first.execute(cpu_stream(), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, scratchpad_for(q->second)}});
    }
    const auto* src_bytes = spec_.int8 ? reinterpret_cast<const uint8_t*>(quantised.data())
                                       : reinterpret_cast<const uint8_t*>(src_floats);
    const size_t src_row_bytes = static_cast<size_t>(spec_.k) * (spec_.int8 ? 1 : sizeof(float));
    for (int64_t r0 = 0; r0 < rows; r0 += block) {
      const Prepared& p = r0 + block <= rows ? *full : *last;
      dnnl::memory src(p.src_md, cpu_engine(), const_cast<uint8_t*>(src_bytes + r0 * src_row_bytes));
      dnnl::memory dst(p.dst_md, cpu_engine(), out[0]->f.data() + r0 * spec_.n);
      p.matmul.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_BIAS, user_bias_},
                                      {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratchpad_for(p.scratchpad_md)}});
      if (p.softmax)
        p.softmax->execute(cpu_stream(), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst},
                                          {DNNL_ARG_SCRATCHPAD, scratchpad_for(p.softmax_scratchpad_md)}});
    }
    cpu_stream().wait();
  }

 private:
  // 32 rows of a 18,710-class recognizer's scores: 2.4 MB.
  static constexpr int64_t kSoftmaxBlockRows = 32;

  struct Prepared {
    dnnl::matmul matmul;
    dnnl::memory::desc src_md, dst_md, scratchpad_md;
    dnnl::memory weights;
    std::optional<dnnl::softmax_forward> softmax;  // in place on the block's scores
    dnnl::memory::desc softmax_scratchpad_md;
  };

  // Symmetric 8-bit weights per output column; the bias absorbs the input's zero point and is
  // stored divided by the output scale, as for int8 convolutions (oneDNN adds it to the
  // integer accumulator before scaling).
  void quantise_weights() {
    const int64_t k = spec_.k, n = spec_.n;
    std::vector<float> amax(static_cast<size_t>(n), 0.f);
    float layer_amax = 0;
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c) amax[c] = std::max(amax[c], std::fabs(spec_.weights[r * n + c]));
    for (float a : amax) layer_amax = std::max(layer_amax, a);
    std::vector<float> wscale(static_cast<size_t>(n));
    output_scales_.resize(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
      // A column negligible next to the layer's is a zero column (see the convolutions).
      const bool negligible = !(amax[c] > layer_amax * 1e-6f);
      wscale[c] = negligible ? 0.f : 127.f / amax[c];
      output_scales_[c] = negligible ? 1.f : 1.f / (spec_.int8->scale * wscale[c]);
    }
    int8_weights_.resize(spec_.weights.size());
    std::vector<int64_t> sums(static_cast<size_t>(n), 0);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c) {
        const auto q = static_cast<int8_t>(std::clamp(std::lround(spec_.weights[r * n + c] * wscale[c]), -127L, 127L));
        int8_weights_[r * n + c] = q;
        sums[c] += q;
      }
    for (int64_t c = 0; c < n; ++c)
      spec_.bias[c] = spec_.bias[c] / output_scales_[c] - static_cast<float>(spec_.int8->zero_point * sums[c]);
  }

  Prepared prepare(int64_t rows) const {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const bool int8 = spec_.int8.has_value();
    const dt src_type = !int8 ? dt::f32 : spec_.int8->is_unsigned ? dt::u8 : dt::s8;
    dnnl::memory::desc src_md({rows, spec_.k}, src_type, tag::ab);
    dnnl::memory::desc w_any({spec_.k, spec_.n}, int8 ? dt::s8 : dt::f32, tag::any);
    dnnl::memory::desc b_md({1, spec_.n}, dt::f32, tag::ab);
    dnnl::memory::desc dst_md({rows, spec_.n}, dt::f32, tag::ab);
    dnnl::primitive_attr attr = user_scratchpad_attr();
    if (int8) attr.set_output_scales(1 << 1, output_scales_);  // per output column (dimension 1)
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, w_any, b_md, dst_md), attr, cpu_engine());
    Prepared p{dnnl::matmul(pd), src_md, dst_md, pd.scratchpad_desc(), weights_->in_layout(pd.weights_desc()), std::nullopt, {}};
    if (spec_.softmax) {
      dnnl::softmax_forward::primitive_desc spd(dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, dst_md, 1),
                                                user_scratchpad_attr(), cpu_engine());
      p.softmax = dnnl::softmax_forward(spd);
      p.softmax_scratchpad_md = spd.scratchpad_desc();
    }
    return p;
  }

  // float -> 8-bit input with the table's fixed scale and zero point.
  std::pair<dnnl::reorder, dnnl::memory::desc> prepare_quantiser(int64_t rows) const {
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_output_scales(0, {spec_.int8->scale});
    if (spec_.int8->zero_point) attr.set_zero_points(DNNL_ARG_DST, 0, {spec_.int8->zero_point});
    dnnl::reorder::primitive_desc rpd(cpu_engine(), float_rows(rows), cpu_engine(), quantised_rows(rows), attr);
    return {dnnl::reorder(rpd), rpd.scratchpad_desc()};
  }
  dnnl::memory::desc float_rows(int64_t rows) const {
    return {{rows, spec_.k}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab};
  }
  dnnl::memory::desc quantised_rows(int64_t rows) const {
    return {{rows, spec_.k}, spec_.int8->is_unsigned ? dnnl::memory::data_type::u8 : dnnl::memory::data_type::s8,
            dnnl::memory::format_tag::ab};
  }

  // [K, N] row-major weights (8-bit or float), packed per layout from here on.
  void keep_plain_weights() {
    const bool int8 = spec_.int8.has_value();
    const dnnl::memory::desc plain({spec_.k, spec_.n}, int8 ? dnnl::memory::data_type::s8 : dnnl::memory::data_type::f32,
                                   dnnl::memory::format_tag::ab);
    weights_.emplace(plain, int8 ? static_cast<const void*>(int8_weights_.data()) : spec_.weights.data());
    int8_weights_ = {};
    spec_.weights = {};
  }

  LinearSpec spec_;
  std::vector<int8_t> int8_weights_;  // [K, N], int8 only, until keep_plain_weights()
  std::vector<float> output_scales_;  // per output column, int8 only
  dnnl::memory user_bias_;
  PrimitiveCache<int64_t, Prepared> cache_;
  PrimitiveCache<int64_t, std::pair<dnnl::reorder, dnnl::memory::desc>> quantiser_;
  std::optional<PackedWeights> weights_;
};

std::unique_ptr<Kernel> make_matmul(const NodeInfo& n) {
  Attrs a(n, {});
  return std::make_unique<MatMulKernel>();
}

constexpr OpEntry kOps[] = {{"MatMul", make_matmul}};

}  // namespace

std::span<const OpEntry> matmul_ops() { return kOps; }

std::unique_ptr<Kernel> make_linear_kernel(LinearSpec spec) { return std::make_unique<LinearKernel>(std::move(spec)); }

}  // namespace edgeocr::runtime::detail
