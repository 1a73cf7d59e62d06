// Internal runtime tensor: float or int64 data, logical ONNX shape, and the physical layout
// of 4-D float activations (NHWC keeps oneDNN's fast convolution kernels on the hot path).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/buffer.h"

namespace edgeocr::runtime::detail {

enum class DType { Float, Int64 };

struct Value {
  std::vector<int64_t> shape;  // logical (ONNX) order, e.g. NCHW
  DType dtype = DType::Float;
  bool nhwc = false;           // only for rank-4 float: memory holds N,H,W,C
  Buffer f;
  std::vector<int64_t> i;

  int64_t numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  int rank() const { return static_cast<int>(shape.size()); }
};

std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace edgeocr::runtime::detail
