// Model (the shared, loaded graph) and Session (one thread's activations and buffer pool).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/graph.h"
#include "runtime/kernel_support.h"
#include "runtime/runtime.h"

namespace edgeocr::runtime {

using detail::DType;
using detail::Value;

Tensor::Tensor(std::vector<int64_t> s) : shape(std::move(s)) { data.assign(static_cast<size_t>(numel()), 0.f); }

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void set_num_threads(int threads) { detail::set_kernel_threads(threads); }

void set_compiled_kernel_cache_capacity(int entries) { dnnl::set_primitive_cache_capacity(std::max(0, entries)); }

void set_prepared_shapes_per_kernel(int shapes) { detail::set_prepared_shapes_per_kernel(static_cast<size_t>(std::max(1, shapes))); }

MemoryStats memory_stats() {
  return {detail::primitive_cache_entries(), detail::pooled_free_bytes()};
}

Model::Model(std::shared_ptr<const detail::Graph> graph) : graph_(std::move(graph)) {}

Model Model::load(const std::filesystem::path& onnx_file, const ModelOptions& options) {
  auto graph = std::make_shared<detail::Graph>();
  graph->threads = std::max(1, options.threads);
  set_num_threads(graph->threads);
  try {
    graph->load(onnx_file, options.int8_table);
  } catch (const dnnl::error& e) {
    throw ModelError(onnx_file.string() + ": oneDNN error: " + e.what());
  }
  return Model(std::move(graph));
}

const std::vector<std::string>& Model::input_names() const { return graph_->input_names; }
const std::vector<std::string>& Model::output_names() const { return graph_->output_names; }
const std::map<std::string, std::string>& Model::metadata() const { return graph_->metadata; }
int Model::int8_layers() const { return graph_->int8_layers; }

struct Session::State {
  Model model;
  const detail::Graph& graph;
  bool retain_buffers;
  bool record_int8_ranges;
  ValueRanges int8_ranges;
  // Declared before the slots: values return their buffers to the pool when destroyed.
  detail::BufferPool pool;
  detail::ExecContext ctx{pool};
  std::vector<Value> slots;

  State(Model m, const detail::Graph& g, const SessionOptions& options)
      : model(std::move(m)), graph(g), retain_buffers(options.retain_buffers),
        record_int8_ranges(options.record_int8_ranges) {
    slots.resize(graph.value_names.size());
  }
  // Runs a pass; its outputs are left in their slots (in NCHW order) until finish_pass().
  void execute(const std::vector<Tensor>& in);
  const Value& output(size_t k) const {
    const int id = graph.outputs[k];
    return graph.constants[id] ? *graph.constants[id] : slots[id];
  }
  void finish_pass() {
    for (auto& s : slots) s = Value{};  // everything back to the pool; keep only what this pass used
    pool.end_pass(retain_buffers);
  }
};

Session::Session(Model model, const SessionOptions& options)
    : state_(std::make_unique<State>(model, *model.graph_, options)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

const Model& Session::model() const { return state_->model; }
std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) {
  State& s = *state_;
  s.execute(inputs);
  std::vector<Tensor> result;
  for (size_t k = 0; k < s.graph.outputs.size(); ++k) {
    const Value& v = s.output(k);
    Tensor t;
    t.shape = v.shape;
    if (v.dtype == DType::Float) t.data.assign(v.f.begin(), v.f.begin() + v.numel());
    else t.data.assign(v.i.begin(), v.i.begin() + v.numel());
    result.push_back(std::move(t));
  }
  s.finish_pass();
  return result;
}

void Session::run(const std::vector<Tensor>& inputs, const std::function<void(std::span<const TensorView>)>& read) {
  State& s = *state_;
  // Also on an exception from the pass or the reader: the pool must not keep this pass's values.
  struct FinishPass {
    State& s;
    ~FinishPass() { s.finish_pass(); }
  } finish{s};
  s.execute(inputs);
  std::vector<TensorView> views;
  for (size_t k = 0; k < s.graph.outputs.size(); ++k) {
    const Value& v = s.output(k);
    if (v.dtype != DType::Float) throw ModelError("output '" + s.graph.output_names[k] + "' is not float");
    views.push_back({v.shape, {v.f.data(), static_cast<size_t>(v.numel())}});
  }
  read(views);
}
void Session::release_buffers() { state_->pool.end_pass(false); }
const ValueRanges& Session::int8_ranges() const { return state_->int8_ranges; }

void Session::State::execute(const std::vector<Tensor>& in) {
  const auto& inputs = graph.inputs;
  const auto& input_names = graph.input_names;
  const auto& constants = graph.constants;
  if (in.size() != inputs.size())
    throw ModelError("model expects " + std::to_string(inputs.size()) + " inputs, got " + std::to_string(in.size()));
  detail::set_kernel_threads(graph.threads);
  for (auto& s : slots) s = Value{};
  for (size_t k = 0; k < in.size(); ++k) {
    const auto& t = in[k];
    const auto& dims = graph.input_dims[k];
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
  // EDGEOCR_RUNTIME_PROFILE=1 prints where a forward pass spends its time, per op type;
  // =steps also prints every step with its output shape.
  static const char* profile_env = std::getenv("EDGEOCR_RUNTIME_PROFILE");
  static const bool profile = profile_env != nullptr;
  static const bool profile_steps = profile && std::string_view(profile_env) == "steps";
  std::map<std::string, std::pair<double, int>> op_ms;
  for (const auto& step : graph.steps) {
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
      slots[id] = Value{};
      outs.push_back(&slots[id]);
    }
    // Images of one pixel (squeeze-and-excitation convolutions) are too small to gain from int8.
    if (record_int8_ranges && step.kernel->int8_capable() && ins[0] && ins[0]->dtype == DType::Float &&
        (ins[0]->rank() != 4 || ins[0]->shape[2] * ins[0]->shape[3] > 1)) {
      const float* x = ins[0]->f.data();
      const auto [lo, hi] = std::minmax_element(x, x + ins[0]->numel());
      int8_ranges[graph.value_names[step.inputs[0]]].add(*lo, *hi);
    }
    try {
      step.kernel->run(ctx, ins, outs);
    } catch (const ModelError& e) {
      throw ModelError(step.name + ": " + e.what());
    } catch (const dnnl::error& e) {
      throw ModelError(step.name + ": oneDNN error: " + e.what());
    }
    for (int id : step.release) slots[id] = Value{};
    if (profile) {
      auto& e = op_ms[step.name.substr(0, step.name.find(' '))];
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      e.first += ms;
      e.second++;
      if (profile_steps)
        std::fprintf(stderr, "runtime step: %8.3f ms %-60s %s\n", ms, step.name.c_str(),
                     outs.empty() ? "" : detail::shape_str(outs[0]->shape).c_str());
    }
  }
  if (profile)
    for (const auto& [op, e] : op_ms) std::fprintf(stderr, "runtime profile: %-20s %4d x %8.2f ms\n", op.c_str(), e.second, e.first);
  for (int id : graph.outputs)
    if (!constants[id]) detail::to_nchw(slots[id], ctx);
}

}  // namespace edgeocr::runtime
