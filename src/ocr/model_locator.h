// Where the OCR models are: one lookup used by every command (ocr, bench, eval, serve).
// A folder the user named (--model-path, EDGEOCR_MODEL_PATH or the config file's model_path)
// is used as given; otherwise the first of ./models, the installed data folder and a folder
// beside the binary (../share/edgeocr/models) that holds models wins.
#pragma once

#include <filesystem>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeocr::ocr {

class ModelDirNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A candidate models root and why it is looked at ("--model-path", "EDGEOCR_MODEL_PATH",
// "config /etc/edgeocr/edgeocr.toml", "./models", ...).
struct ModelPlace {
  std::filesystem::path dir;
  std::string origin;
};

// The Debian package's models root.
inline constexpr const char* kInstalledModelDir = "/usr/share/edgeocr/models";

// The folder named on the command line, else in $EDGEOCR_MODEL_PATH; empty dir when neither.
ModelPlace named_model_dir(const std::string& flag_value,
                           const std::function<const char*(const char*)>& getenv = std::getenv);

// ./models, the installed data folder, then <binary>/../share/edgeocr/models.
std::vector<ModelPlace> default_model_places();

// The models root: `named` when it is set (it must be a folder), else the first of `fallbacks`
// that holds models (*.onnx directly or in a model-set subfolder). Throws ModelDirNotFound
// naming every place it looked.
std::filesystem::path locate_model_dir(const ModelPlace& named,
                                       const std::vector<ModelPlace>& fallbacks = default_model_places());

}  // namespace edgeocr::ocr
