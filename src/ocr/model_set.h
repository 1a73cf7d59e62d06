// Model sets: which detector, recognizer, 180° classifier and dictionary make up `v4`, `v5`,
// `v6-small`, `v6-tiny` and `v6-small-v4det` under a models folder (as scripts/fetch-models.sh
// lays it out), and the pre/post-processing parameters each set ships (PaddleOCR inference.yml,
// where present).
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::ocr {

// The set used when none is named (chosen by the side-by-side table in README).
inline constexpr std::string_view kDefaultModelSet = "v6-small-v4det";

// Arithmetic of the models' convolutions: `int8` runs a model in int8 where the set ships an
// int8 table beside it (FILE.int8, see runtime::ModelOptions) and the CPU has VNNI, float32
// elsewhere; `fp32` runs everything in float32.
enum class Precision { int8, fp32 };
inline constexpr std::string_view kDefaultPrecision = "int8";
const std::vector<std::string>& precision_names();  // "int8", "fp32"
Precision parse_precision(std::string_view name);    // throws ModelSetError for another name

// Unknown set name, or a set's files missing or unreadable. what() is one clear line.
class ModelSetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ModelSet {
  std::string name;
  std::filesystem::path det, rec, cls;      // ONNX graphs
  std::filesystem::path rec_config;         // inference.yml of the recognizer (may not exist)
  std::filesystem::path dictionary;         // dictionary text file (may not exist)
  // Int8 tables beside the graphs (FILE.int8); empty where the set has none.
  std::filesystem::path det_int8, rec_int8, cls_int8;
  // Detector post-processing (DB) and normalisation.
  float det_threshold = 0.3f;
  float det_box_threshold = 0.6f;
  float det_unclip_ratio = 1.5f;      // the region cropped for the recognizer
  float det_box_unclip_ratio = 1.5f;  // the line box reported (closer to the text)
  std::array<float, 3> det_mean{0.485f, 0.456f, 0.406f}, det_std{0.229f, 0.224f, 0.225f};
  // Recognizer input: height and the narrowest row width it was trained with.
  int rec_height = 48;
  int rec_min_width = 320;
};

// "v4 v5 v6-small v6-tiny v6-small-v4det"
const std::vector<std::string>& model_set_names();
std::string model_set_names_joined(std::string_view separator = "|");

// The set `name` under `models_root`: paths, and parameters read from its inference.yml files.
// Throws ModelSetError for an unknown name, a missing graph or an unreadable config.
ModelSet load_model_set(const std::filesystem::path& models_root, std::string_view name);

// Dictionary readers: each returns the recognizer's characters in class order (without the CTC
// blank and the trailing space class).
std::vector<std::string> read_dictionary_text(const std::filesystem::path& file);
// `PostProcess.character_dict` of a PaddleOCR inference.yml; empty if the file has none.
std::vector<std::string> read_dictionary_yaml(const std::filesystem::path& file);
// The "character" metadata entry of an ONNX recognizer (one character per line); empty if absent.
std::vector<std::string> read_dictionary_metadata(const std::map<std::string, std::string>& metadata);

// The set's characters from wherever it keeps them: its inference.yml, else its dictionary file,
// else the recognizer's ONNX metadata. Throws ModelSetError if none has them.
std::vector<std::string> model_set_characters(const ModelSet& set,
                                              const std::map<std::string, std::string>& rec_metadata);

// CTC class labels for a recognizer: [0] blank, 1..N the characters, N+1 space.
std::vector<std::string> ctc_labels(const std::vector<std::string>& characters);

}  // namespace edgeocr::ocr
