#include "runtime/opencv_reference.h"

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <onnx/onnx-ml.pb.h>

namespace edgeocr::runtime {

namespace {

float scalar_value(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::FLOAT) throw std::runtime_error("Clip bound is not a float constant");
  if (!t.raw_data().empty()) {
    float v;
    std::memcpy(&v, t.raw_data().data(), sizeof v);
    return v;
  }
  return t.float_data(0);
}

}  // namespace

cv::dnn::Net load_opencv_det_reference(const std::filesystem::path& det_onnx, int height, int width) {
  onnx::ModelProto model;
  std::ifstream in(det_onnx, std::ios::binary);
  if (!in || !model.ParseFromIstream(&in)) throw std::runtime_error("cannot read " + det_onnx.string());
  auto* graph = model.mutable_graph();
  std::map<std::string, const onnx::TensorProto*> constants;
  for (const auto& n : graph->node())
    if (n.op_type() == "Constant" && n.attribute_size() == 1) constants[n.output(0)] = &n.attribute(0).t();
  for (auto& n : *graph->mutable_node()) {
    if (n.op_type() != "Clip" || n.input_size() < 2) continue;
    const std::string names[2] = {"min", "max"};
    for (int k = 1; k < n.input_size() && k <= 2; ++k) {
      auto it = constants.find(n.input(k));
      if (it == constants.end()) throw std::runtime_error("Clip bound is not a constant in " + n.name());
      auto* attr = n.add_attribute();
      attr->set_name(names[k - 1]);
      attr->set_type(onnx::AttributeProto::FLOAT);
      attr->set_f(scalar_value(*it->second));
    }
    const std::string x = n.input(0);
    n.clear_input();
    n.add_input(x);
  }
  // Clip's attribute form exists only up to opset 10.
  for (auto& o : *model.mutable_opset_import())
    if (o.domain().empty() && o.version() > 10) o.set_version(10);
  auto* shape = graph->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  const int64_t dims[4] = {1, 3, height, width};
  for (int k = 0; k < 4 && k < shape->dim_size(); ++k) shape->mutable_dim(k)->set_dim_value(dims[k]);
  std::string bytes;
  model.SerializeToString(&bytes);
  return cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
}

}  // namespace edgeocr::runtime
