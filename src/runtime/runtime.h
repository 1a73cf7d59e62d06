// EdgeOCR tensor runtime: loads an ONNX model and runs it on the CPU (oneDNN).
// This header is the whole public surface; the OCR pipeline uses nothing else, so another
// backend (e.g. CUDA) can be added behind the same interface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeocr::runtime {

// A dense float32 tensor in row-major (NCHW for images) order.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  Tensor(std::vector<int64_t> s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}
  explicit Tensor(std::vector<int64_t> s);  // zero-filled
  int64_t numel() const;
};

// A read-only look at a float tensor that lives elsewhere (a Session's output during a reader).
struct TensorView {
  std::span<const int64_t> shape;
  std::span<const float> data;
};

// Raised for models the runtime cannot load (bad file, unsupported op or attribute: the message
// names the node) and for inputs that do not fit the model.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ModelOptions {
  ModelOptions(int threads_ = 2, std::filesystem::path int8_table_ = {})
      : threads(threads_), int8_table(std::move(int8_table_)) {}

  int threads;  // fixed intra-op thread count of every Session of the model
  // An int8 table written by save_int8_table() for this very file (its SHA-256 is checked): the
  // dense convolutions it lists run on 8-bit weights and inputs, with the input scales it holds.
  // Ignored on CPUs without 8-bit dot-product instructions (VNNI), where int8 gains nothing.
  // Empty: everything in float32.
  std::filesystem::path int8_table;
};

// The values a tensor took over calibration runs: the extremes, and the mean of each run's
// extremes (what an int8 table keeps: a rare outlier then saturates instead of costing every
// other value resolution).
struct ValueRange {
  float min = 0, max = 0;
  double mean_min = 0, mean_max = 0;
  int runs = 0;
  bool seen() const { return runs > 0; }
  void add(float lo, float hi);
};
using ValueRanges = std::map<std::string, ValueRange>;  // by tensor name

// Writes the int8 table of `onnx_file`: its SHA-256 and the input range of every convolution in
// `ranges` (gathered by Sessions with record_int8_ranges).
void save_int8_table(const std::filesystem::path& onnx_file, const ValueRanges& ranges,
                     const std::filesystem::path& table_file);

namespace detail {
struct Graph;
}

// A loaded model (ONNX Runtime's session state, ncnn's Net): weights, the folded and fused
// graph, and the kernels with their prepared oneDNN primitives. Immutable after load() and
// cheap to copy: copies share one loaded graph, and any number of threads may run it at once,
// each through its own Session.
class Model {
 public:
  static Model load(const std::filesystem::path& onnx_file, const ModelOptions& options = {});

  const std::vector<std::string>& input_names() const;
  const std::vector<std::string>& output_names() const;
  // The file's metadata_props (a PaddleOCR recognizer may carry its dictionary as "character",
  // one entry per line).
  const std::map<std::string, std::string>& metadata() const;
  // How many layers (convolutions, linear layers) run in int8 (0 without an int8 table).
  int int8_layers() const;

 private:
  friend class Session;
  explicit Model(std::shared_ptr<const detail::Graph> graph);
  std::shared_ptr<const detail::Graph> graph_;
};

struct SessionOptions {
  // Keep intermediate buffers between run() calls, so a warm pass allocates nothing. Turn it off
  // for a model run once per request with large activations (the detector): its buffers are then
  // returned after each pass instead of adding to the peak while other models run.
  bool retain_buffers = true;
  // Records the range of every input an int8 table may list (calibration; costs a pass over
  // each such input).
  bool record_int8_ranges = false;
};

// One thread's execution state for a Model (ncnn's Extractor): activations and the buffer pool
// they come from. Not thread-safe: one Session per worker thread.
class Session {
 public:
  explicit Session(Model model, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const Model& model() const;

  // Inputs by position (dynamic batch/height/width allowed where the model allows them);
  // returns outputs by position.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // The same, handing the outputs (by position, float ones only) to `read` where the pass left
  // them, valid during the call only. No copy: a recognizer's [N, T, classes] scores are tens of
  // MiB a batch, and the fresh pages a copy needs cost more than the copy itself.
  void run(const std::vector<Tensor>& inputs, const std::function<void(std::span<const TensorView>)>& read);

  // Returns the intermediate buffers kept for the next run() to the allocator: call it between
  // requests so one model's buffers do not add to another's peak.
  void release_buffers();

  // What record_int8_ranges has seen so far, over every run().
  const ValueRanges& int8_ranges() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Process-wide memory figures of the runtime, for metrics.
struct MemoryStats {
  int64_t primitive_cache_entries = 0;  // prepared oneDNN primitives kept by all loaded models
  int64_t pooled_free_bytes = 0;        // activation buffers held free by all sessions for reuse
};
MemoryStats memory_stats();

// Sets the process-wide thread count for kernels (OpenMP). Called by Model::load too.
void set_num_threads(int threads);

// Caps oneDNN's process-wide cache of compiled kernels (default 1,024), which keeps kernels the
// models' own per-shape caches have dropped. A long-running process fed images of every size
// holds tens of MiB of them; fewer cost a recompile when an old shape comes back.
void set_compiled_kernel_cache_capacity(int entries);

// Caps how many input shapes each kernel keeps prepared (default 16, least recently used
// dropped first). Every prepared shape holds its own oneDNN primitive and what it was made with;
// a server fed images of every size settles about 95 MiB lower at 8 than at 16, at the cost of
// preparing a returning shape again.
void set_prepared_shapes_per_kernel(int shapes);

}  // namespace edgeocr::runtime
