// The native OCR pipeline: image bytes in, lines with text, words, boxes, confidences and
// reading order out. Stages: decode -> detect (PP-OCR DB) -> crop -> classify 180° (a turn is
// kept only when the turned crop reads better) -> recognize (CTC, words) -> reading order, with
// the models of one model set (ocr/model_set.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/languages.h"
#include "ocr/model_set.h"
#include "ocr/types.h"

namespace edgeocr::ocr {

// Bad input image (empty, truncated, not an image, too large, ...). what() is one clear line.
class ImageError : public std::runtime_error {
 public:
  // too_large: over a size limit (bytes, pixels, pages); invalid: anything else wrong with the input.
  enum class Kind { invalid, too_large };
  explicit ImageError(const std::string& message, Kind kind = Kind::invalid)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct DecodeLimits {
  int64_t max_bytes = 50LL << 20;        // encoded size
  int64_t max_pixels = 100'000'000;      // width*height read from the header, checked before decoding
  int max_side = 2048;                   // longest side after decoding (downscaled to this)
};

// Decodes JPEG/PNG/BMP/TIFF/WebP, applies EXIF orientation, checks the header's dimensions
// against the limits before allocating, caps the longest side. Throws ImageError.
cv::Mat decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

struct PipelineOptions {
  std::filesystem::path model_dir = "models";  // the models root (see scripts/fetch-models.sh)
  std::string models{kDefaultModelSet};         // model set: v4, v5, v6-small, v6-tiny, v6-small-v4det
  Precision precision = parse_precision(kDefaultPrecision);
  // Record the recognizer's input ranges an int8 table needs (edgeocr bench --calibrate), see
  // save_int8_tables().
  bool record_int8_ranges = false;
  int threads = 2;
  DecodeLimits limits;
  int det_max_side = 960;  // longest side of the detector's input; also the largest tile, squared
  // A page whose text the detector finds too small at det_max_side (ocr/postprocess.h,
  // text_too_small) is detected again with this longest side (capped at the decoded image's), in
  // tiles of at most det_max_side² pixels; 0 = never. 1600 read the 2,000-3,500 px newspaper
  // pages of mdpbench best (1280: nl 64 %, 1440: 93 %, 1600: 96 %, 2048: 95 % char F1).
  int det_fine_max_side = 1600;
  // DB post-processing; unset: the model set's own values (its inference.yml, else 0.3/0.6/1.5;
  // the reported boxes' unclip ratio: the set's, see ocr/model_set.h).
  std::optional<float> det_threshold, det_box_threshold, det_unclip_ratio, det_box_unclip_ratio;
  float cls_threshold = 0.9f;         // a line with p(180°) above it is read both ways, the better kept
  float rec_min_confidence = 0.5f;   // lines read with a lower mean CTC confidence are dropped
  // Restore a space between characters of spaced scripts (never next to CJK) whose CTC frames
  // are further apart than this many median character pitches (0 = off); see ocr/postprocess.h. 1.2 was best on SROIE and
  // confirmed on the held-out sroie_test (case-insensitive CER 5.0% -> 4.0%; 1.6 missed most
  // breaks in condensed capitals such as "TAMAN DAYA"; below 1.0 words split).
  float rec_word_gap = 1.2f;
  // Place several short crops side by side in one recognizer row (see Pipeline::recognize):
  // they keep the 320 px context the recognizer reads best with, without its padding cost.
  bool rec_pack_short_lines = true;
  bool use_classifier = true;
  // Turn sideways pages (most boxes tall) by 90°, and upside-down pages by 180° when the
  // classifier's vote says so and the longest lines read better turned.
  bool detect_page_rotation = true;
  // Languages (ocr/languages.h): Chinese/English lines go to the PP recognizer, other languages
  // and scripts to Tesseract's LSTM (ocr/line_router.h); `auto` chooses per line.
  std::string languages{kDefaultLanguages};
  // The image is one text line (a line crop, as Tesseract's --psm 7): no detection, the whole
  // image is read as a single line.
  bool single_line = false;
  std::filesystem::path tessdata;  // Tesseract language packs; empty: ocr::tessdata_dir()
  // With Tesseract languages in play, a PP reading of Han/Latin text with at least this mean
  // confidence is kept without asking Tesseract.
  float route_keep_confidence = 0.9f;
  // Lines Tesseract read are dropped below this mean word confidence instead of
  // rec_min_confidence: its confidences run lower than the CTC ones for the same quality. Lines
  // read in a page's confirmed script are kept at any confidence (LineLanguage::in_page_script).
  float tesseract_min_confidence = 0.3f;
};

struct LoadedModels;

// Model sets loaded once and shared, read-only, by the pipelines of every worker thread (each
// pipeline keeps only its own activations). Thread-safe.
class ModelLibrary {
 public:
  // The set options.models names (from options.model_dir, run with options.threads), loaded on
  // first use; throws like Pipeline's constructor.
  std::shared_ptr<const LoadedModels> get(const PipelineOptions& options);

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const LoadedModels>> sets_;
};

// Process-wide memory figures of the inference runtime (for metrics).
struct InferenceMemory {
  int64_t primitive_cache_entries = 0;  // prepared kernels kept by all loaded models (bounded)
  int64_t pooled_free_bytes = 0;        // activation buffers held free for reuse
};
InferenceMemory inference_memory();

// For a long-running process (the server): keeps fewer compiled kernels of input shapes no
// longer in use (see runtime::set_compiled_kernel_cache_capacity and
// runtime::set_prepared_shapes_per_kernel).
void keep_fewer_compiled_kernels();

class Pipeline {
 public:
  // Loads the models and the Tesseract packs of options.languages; throws ModelSetError (unknown
  // set, missing files), runtime::ModelError or LanguageError (bad code, missing pack).
  explicit Pipeline(const PipelineOptions& options);
  // Runs the models of `models` (loading the set there if it is not yet).
  Pipeline(const PipelineOptions& options, ModelLibrary& models);
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  OcrResult run(std::span<const uint8_t> encoded_image);  // decode + run; throws ImageError
  OcrResult run(const cv::Mat& bgr_image);                 // already-decoded 8-bit BGR
  // The same with other languages than options.languages (e.g. a request's own); loads their
  // Tesseract packs on first use and throws LanguageError when one is missing.
  OcrResult run(std::span<const uint8_t> encoded_image, const LanguageSpec& languages);
  OcrResult run(const cv::Mat& bgr_image, const LanguageSpec& languages);
  // Loads the Tesseract packs `languages` needs now; throws LanguageError when one is missing.
  void prepare_languages(const LanguageSpec& languages);

  const PipelineOptions& options() const;

  // With options.record_int8_ranges: writes the int8 table of the set's recognizer from what
  // this pipeline's runs recorded, as `out_dir`/<the model's path under model_dir>.int8.
  // Returns the files written (none before any run).
  std::vector<std::filesystem::path> save_int8_tables(const std::filesystem::path& out_dir) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeocr::ocr
