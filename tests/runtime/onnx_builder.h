// Builds small ONNX graphs in memory for runtime unit tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <onnx/onnx-ml.pb.h>

namespace edgeocr::runtime::testing {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset = 11) {
    model_.set_ir_version(6);
    auto* o = model_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
  }
  OnnxBuilder& input(const std::string& name, const std::vector<int64_t>& dims) {
    auto* in = model_.mutable_graph()->add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d < 0) dim->set_dim_param("dyn"); else dim->set_dim_value(d);
    }
    return *this;
  }
  OnnxBuilder& output(const std::string& name) {
    model_.mutable_graph()->add_output()->set_name(name);
    return *this;
  }
  OnnxBuilder& constant(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& data) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type("Constant");
    n->set_name(name + "_const");
    n->add_output(name);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (auto v : data) t->add_float_data(v);
    return *this;
  }
  OnnxBuilder& constant_i64(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& data) {
    auto* init = model_.mutable_graph()->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::INT64);
    for (auto d : dims) init->add_dims(d);
    for (auto v : data) init->add_int64_data(v);
    return *this;
  }
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(model_.graph().node_size()));
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return *n;
  }
  static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  // Writes the model to a unique temporary file and returns its path.
  std::filesystem::path save() const {
    static int counter = 0;
    auto path = std::filesystem::temp_directory_path() /
                ("edgeocr_rt_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".onnx");
    std::ofstream f(path, std::ios::binary);
    model_.SerializeToOstream(&f);
    return path;
  }

 private:
  onnx::ModelProto model_;
};

}  // namespace edgeocr::runtime::testing
