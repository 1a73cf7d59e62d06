// The op table: every kernel family's ops in one map, looked up by ONNX op type.
#include <string_view>
#include <unordered_map>

#include "runtime/kernel_support.h"

namespace edgeocr::runtime::detail {
namespace {

const std::unordered_map<std::string_view, KernelFactory>& op_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, KernelFactory> t;
    for (auto family : {conv_ops(), elementwise_ops(), shape_ops(), reduce_ops(), matmul_ops()})
      for (const OpEntry& e : family)
        if (!t.emplace(e.op, e.make).second) fail(std::string("operator '") + e.op + "' is registered twice");
    return t;
  }();
  return table;
}

}  // namespace

std::unique_ptr<Kernel> make_kernel(const NodeInfo& n) {
  if (!n.proto->domain().empty() && n.proto->domain() != "ai.onnx")
    fail(n.describe() + ": operator domain '" + n.proto->domain() + "' is not supported");
  const auto& table = op_table();
  auto it = table.find(n.proto->op_type());
  if (it == table.end())
    fail(n.describe() + ": operator '" + n.proto->op_type() + "' is not supported by the EdgeOCR runtime");
  return it->second(n);
}

}  // namespace edgeocr::runtime::detail
