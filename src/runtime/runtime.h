// EdgeOCR tensor runtime: loads an ONNX model and runs it on the CPU (oneDNN).
// This header is the whole public surface; the OCR pipeline uses nothing else, so another
// backend (e.g. CUDA) can be added behind the same interface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
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

// Raised for models the runtime cannot load (bad file, unsupported op or attribute: the message
// names the node) and for inputs that do not fit the model.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ModelOptions {
  int threads = 2;  // fixed intra-op thread count
  // Keep intermediate buffers between run() calls, so a warm pass allocates nothing. Turn it off
  // for a model run once per request with large activations (the detector): its buffers are then
  // returned after each pass instead of adding to the peak while other models run.
  bool retain_buffers = true;
};

// One loaded model. run() is not thread-safe: use one Model per worker thread.
class Model {
 public:
  static Model load(const std::filesystem::path& onnx_file, const ModelOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const std::vector<std::string>& input_names() const;
  const std::vector<std::string>& output_names() const;
  // The file's metadata_props (a PaddleOCR recognizer may carry its dictionary as "character",
  // one entry per line).
  const std::map<std::string, std::string>& metadata() const;

  // Inputs by position (dynamic batch/height/width allowed where the model allows them);
  // returns outputs by position.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  // Returns the intermediate buffers kept for the next run() to the allocator: call it between
  // requests so one model's buffers do not add to another's peak.
  void release_buffers();

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Sets the process-wide thread count for kernels (OpenMP). Called by Model::load too.
void set_num_threads(int threads);

}  // namespace edgeocr::runtime
