// MatMul through oneDNN: the attention and projection layers of the recognizers.
#include "runtime/kernel_support.h"

#include <algorithm>
#include <array>

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

std::unique_ptr<Kernel> make_matmul(const NodeInfo& n) {
  Attrs a(n, {});
  return std::make_unique<MatMulKernel>();
}

constexpr OpEntry kOps[] = {{"MatMul", make_matmul}};

}  // namespace

std::span<const OpEntry> matmul_ops() { return kOps; }

}  // namespace edgeocr::runtime::detail
