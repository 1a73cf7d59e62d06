#include "ocr/pipeline.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <future>
#include <mutex>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "ocr/decode.h"
#include "ocr/line_router.h"
#include "ocr/postprocess.h"
#include "runtime/runtime.h"

namespace edgeocr::ocr {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr int kClsHeight = 48, kClsWidth = 192;
// Widest recognizer input: 32:1 (1536 px at height 48). Wider crops are squeezed; 1536/8 = 192
// CTC frames still leave room for far more characters than a receipt line holds.
constexpr int kRecMaxAspect = 32;
// The narrowest batch width is the set's training width (PaddleOCR: 320 at height 48): the SVTR
// neck mixes across the whole width and reads short crops more reliably with this padding.
// Batch size and batch size x width cap: they bound the recognizer's activations (~10 MiB a
// batch of 320 px rows), which every concurrent worker holds at once; larger batches are no
// faster on 2 cores.
constexpr size_t kRecBatch = 4;
constexpr int kRecBatchPixels = 4 * 640;
constexpr int kRecWidthStep = 64;        // recognizer rows are padded to a multiple of this
constexpr size_t kClsBatch = 16, kClsBatchStep = 4;

// Per-channel lookup tables: uint8 -> normalised float, in the image's BGR plane order
// (PaddleOCR feeds cv2's BGR images to all three models with the mean/std listed in RGB terms).
struct Normaliser {
  std::array<std::array<float, 256>, 3> table{};
  Normaliser(std::array<float, 3> mean, std::array<float, 3> stddev) {
    for (int c = 0; c < 3; ++c)
      for (int v = 0; v < 256; ++v) table[c][v] = (static_cast<float>(v) / 255.0f - mean[c]) / stddev[c];
  }
  // Writes the 8-bit BGR image into planes of a CHW tensor whose rows are `row_stride` floats
  // apart and planes `plane_stride` apart.
  void write(const cv::Mat& bgr, float* dst, size_t row_stride, size_t plane_stride) const {
    for (int y = 0; y < bgr.rows; ++y) {
      const uint8_t* src = bgr.ptr<uint8_t>(y);
      float* p0 = dst + y * row_stride;
      float* p1 = p0 + plane_stride;
      float* p2 = p1 + plane_stride;
      for (int x = 0; x < bgr.cols; ++x) {
        p0[x] = table[0][src[3 * x]];
        p1[x] = table[1][src[3 * x + 1]];
        p2[x] = table[2][src[3 * x + 2]];
      }
    }
  }
};

const Normaliser& half_normaliser() {
  static const Normaliser n({0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f});
  return n;
}

float quad_width(const Quad& q) { return std::hypot(q[1].x - q[0].x, q[1].y - q[0].y); }
float quad_height(const Quad& q) { return std::hypot(q[3].x - q[0].x, q[3].y - q[0].y); }

}  // namespace

namespace {
// The int8 table a model is loaded with: none for fp32, nor while calibrating (which measures
// the float model).
std::filesystem::path int8_table(const PipelineOptions& o, const std::filesystem::path& table) {
  return o.precision == Precision::int8 && !o.record_int8_ranges ? table : std::filesystem::path{};
}

// A model set's files and its three loaded models.
struct SetModels {
  ModelSet set;
  runtime::Model det, cls, rec;
};

// The recognizer, the largest of the three, loads on a second thread while the detector and the
// classifier load on this one: loading is single-threaded, and a one-shot `edgeocr ocr` waits
// for it.
SetModels load_set_models(const PipelineOptions& o) {
  ModelSet set = load_model_set(o.model_dir, o.models);
  auto loading = std::async(std::launch::async,
                            [&] { return runtime::Model::load(set.rec, {o.threads, int8_table(o, set.rec_int8)}); });
  runtime::Model det = runtime::Model::load(set.det, {o.threads, int8_table(o, set.det_int8)});
  runtime::Model cls = runtime::Model::load(set.cls, {o.threads, int8_table(o, set.cls_int8)});
  runtime::Model rec = loading.get();  // before `set` moves: the loading thread reads it
  return {std::move(set), std::move(det), std::move(cls), std::move(rec)};
}

}  // namespace

// The loaded models of one set: read-only after loading, shared by every Pipeline (and thread)
// that runs them.
struct LoadedModels {
  ModelSet set;
  runtime::Model det, cls, rec;
  std::vector<std::string> labels;
  // Detector activations are the largest of a job (~46 MiB at 960 px), and detection is about a
  // tenth of its time: one detector pass at a time keeps workers' peaks from adding up while
  // their recognizer passes still overlap.
  mutable std::mutex detector_turn;

  explicit LoadedModels(const PipelineOptions& o) : LoadedModels(load_set_models(o)) {}
  explicit LoadedModels(SetModels loaded)
      : set(std::move(loaded.set)),
        det(std::move(loaded.det)),
        cls(std::move(loaded.cls)),
        rec(std::move(loaded.rec)),
        labels(ctc_labels(model_set_characters(set, rec.metadata()))) {}
};

InferenceMemory inference_memory() {
  const runtime::MemoryStats m = runtime::memory_stats();
  return {m.primitive_cache_entries, m.pooled_free_bytes};
}

void keep_fewer_compiled_kernels() {
  // bench/soak/rss_ceiling.sh, one worker, images of every size: oneDNN's cache at 128 instead
  // of 1,024 entries held 287 instead of 348 MiB after 150 requests at the same speed; 8
  // prepared shapes per kernel instead of 16 held 218 instead of 314 MiB after 500 requests,
  // for about 7 % more time preparing returning shapes.
  runtime::set_compiled_kernel_cache_capacity(128);
  runtime::set_prepared_shapes_per_kernel(8);
}

std::shared_ptr<const LoadedModels> load_models(const PipelineOptions& options) {
  return std::make_shared<const LoadedModels>(options);
}

std::shared_ptr<const LoadedModels> ModelLibrary::get(const PipelineOptions& options) {
  // Held while loading: a second worker asking for the same set waits and then shares it.
  std::lock_guard lock(mutex_);
  auto& models = sets_[options.models + (options.precision == Precision::int8 ? "/int8" : "/fp32")];
  if (!models) models = load_models(options);
  return models;
}

struct Pipeline::Impl {
  PipelineOptions options;
  std::shared_ptr<const LoadedModels> models;
  const ModelSet& set;
  const std::vector<std::string>& labels;
  // This pipeline's own activations. One detector pass per image, with the largest
  // activations: give them back after it.
  runtime::Session det, cls, rec;
  Normaliser det_normaliser;
  const int rec_height, rec_min_width, rec_max_width, rec_pack_gap;
  std::vector<runtime::Tensor> det_input{1}, cls_input{1}, rec_input{1};
  LanguageSpec languages;
  TesseractLines tesseract;

  Impl(const PipelineOptions& o, std::shared_ptr<const LoadedModels> loaded)
      : options(o),
        models(std::move(loaded)),
        set(models->set),
        labels(models->labels),
        // Calibration covers the recognizer only: it is the one whose int8 reading was checked
        // against the evaluation sets, and most of the time goes there.
        det(models->det, {.retain_buffers = false}),
        cls(models->cls),
        rec(models->rec, {.retain_buffers = false, .record_int8_ranges = o.record_int8_ranges}),
        det_normaliser(set.det_mean, set.det_std),
        rec_height(set.rec_height),
        rec_min_width(set.rec_min_width),
        rec_max_width(set.rec_height * kRecMaxAspect),
        rec_pack_gap(set.rec_height),
        languages(parse_languages(o.languages)),
        tesseract(tessdata_dir(o.tessdata)) {
    prepare_languages(languages);
  }

  void prepare_languages(const LanguageSpec& spec) {
    if (const std::string set = tesseract_languages(spec); !set.empty()) tesseract.prepare(set);
  }

  // The detector's probability map of the image scaled so that its longest side is at most
  // max_side (sides rounded to multiples of 32), run in tiles of at most det_max_side² pixels:
  // a finer scale costs more passes, never larger activations.
  cv::Mat probability_map(const cv::Mat& image, int max_side) {
    cv::Mat resized;
    cv::resize(image, resized, detail::detector_map_size(image.size(), max_side), 0, 0, cv::INTER_LINEAR);
    const int64_t max_tile_area = static_cast<int64_t>(options.det_max_side) * options.det_max_side;
    return detail::tiled_probability(resized, max_tile_area, detail::kDetTileOverlap, [this](const cv::Mat& tile) {
      runtime::Tensor& input = det_input[0];
      input.shape = {1, 3, tile.rows, tile.cols};
      input.data.resize(static_cast<size_t>(3) * tile.rows * tile.cols);
      det_normaliser.write(tile, input.data.data(), static_cast<size_t>(tile.cols),
                           static_cast<size_t>(tile.rows) * tile.cols);
      std::unique_lock turn(models->detector_turn);
      cv::Mat probability;
      det.run(det_input, [&](std::span<const runtime::TensorView> outputs) {
        const runtime::TensorView& out = outputs[0];
        if (out.shape.size() != 4 || out.shape[2] != tile.rows || out.shape[3] != tile.cols)
          throw runtime::ModelError("detector output shape does not match its input");
        probability = cv::Mat(tile.rows, tile.cols, CV_32F, const_cast<float*>(out.data.data())).clone();
      });
      turn.unlock();
      return probability;
    });
  }

  // Lines at det_max_side; a page shrunk so far that its text comes out as specks is detected
  // again at det_fine_max_side, in tiles.
  std::vector<detail::DetectedLine> detect(const cv::Mat& image) {
    detail::DbParams params;
    params.threshold = options.det_threshold.value_or(set.det_threshold);
    params.box_threshold = options.det_box_threshold.value_or(set.det_box_threshold);
    params.unclip_ratio = options.det_unclip_ratio.value_or(set.det_unclip_ratio);
    params.box_unclip_ratio = options.det_box_unclip_ratio.value_or(set.det_box_unclip_ratio);
    const auto boxes_from = [&](const cv::Mat& probability, detail::DbStats* stats) {
      // The candidate cap is meant for a det_max_side map: a finer map of the same page has
      // proportionally more lines.
      detail::DbParams scaled = params;
      const double area_ratio = static_cast<double>(probability.total()) / (static_cast<double>(options.det_max_side) * options.det_max_side);
      scaled.max_candidates = static_cast<int>(params.max_candidates * std::max(1.0, area_ratio));
      return detail::db_boxes(probability, scaled, static_cast<float>(image.cols) / probability.cols,
                              static_cast<float>(image.rows) / probability.rows, image.cols, image.rows, stats);
    };
    const int longest = std::max(image.cols, image.rows);
    const int coarse_side = std::min(longest, options.det_max_side);
    const int fine_side = std::min(longest, options.det_fine_max_side);
    detail::DbStats stats;
    std::vector<detail::DetectedLine> lines = boxes_from(probability_map(image, options.det_max_side), &stats);
    // A finer pass pays off only with clearly more pixels per character.
    if (fine_side * 4 >= coarse_side * 5 && detail::text_too_small(stats))
      lines = boxes_from(probability_map(image, fine_side), nullptr);
    return lines;
  }

  // Probability that each crop is upside down.
  std::vector<float> classify(const std::vector<cv::Mat>& crops) {
    std::vector<float> p180(crops.size(), 0.0f);
    const size_t plane = static_cast<size_t>(kClsHeight) * kClsWidth;
    for (size_t start = 0; start < crops.size(); start += kClsBatch) {
      const size_t n = std::min(kClsBatch, crops.size() - start);
      // The last batch is padded to a multiple of kClsBatchStep rows: a handful of input shapes
      // in all, instead of a new one (and its kernel preparation) for most pages.
      const size_t rows = std::min(kClsBatch, (n + kClsBatchStep - 1) / kClsBatchStep * kClsBatchStep);
      runtime::Tensor& input = cls_input[0];
      input.shape = {static_cast<int64_t>(rows), 3, kClsHeight, kClsWidth};
      input.data.assign(rows * 3 * plane, 0.0f);
      for (size_t i = 0; i < n; ++i) {
        const cv::Mat& crop = crops[start + i];
        const double aspect = static_cast<double>(crop.cols) / crop.rows;
        const int w = std::clamp(static_cast<int>(std::ceil(kClsHeight * aspect)), 1, kClsWidth);
        cv::Mat resized;
        cv::resize(crop, resized, cv::Size(w, kClsHeight));
        half_normaliser().write(resized, input.data.data() + i * 3 * plane, kClsWidth, plane);
      }
      cls.run(cls_input, [&](std::span<const runtime::TensorView> outputs) {
        const runtime::TensorView& out = outputs[0];
        if (out.data.size() != rows * 2) throw runtime::ModelError("classifier output is not [N,2]");
        for (size_t i = 0; i < n; ++i) p180[start + i] = out.data[i * 2 + 1];
      });
    }
    // Its buffers would otherwise sit beside the recognizer's, which run next.
    cls.release_buffers();
    return p180;
  }

  // One recognizer input row: a single crop, or several short crops side by side.
  struct RecPiece {
    size_t crop;
    int x, width;  // placement in the row, pixels
  };
  struct RecRow {
    std::vector<RecPiece> pieces;
    int used = 0;  // rightmost pixel in use
  };

  // Crops narrower than rec_min_width would each be padded to it; instead they share rows of that
  // width, rec_pack_gap pixels of padding apart (the recognizer emits a frame per 8 px, so every
  // piece starts on a frame boundary and its frames are decoded on their own).
  std::vector<RecRow> plan_rows(const std::vector<int>& widths) const {
    std::vector<size_t> order(widths.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return widths[a] > widths[b]; });
    std::vector<RecRow> rows;
    size_t first_short = rows.size();
    for (size_t c : order) {
      const int w = widths[c];
      if (w >= rec_min_width || !options.rec_pack_short_lines) {
        rows.push_back({{{c, 0, w}}, w});
        first_short = rows.size();
        continue;
      }
      // First fit, widest first: a few rows end up full, the narrow crops fill the gaps.
      bool placed = false;
      for (size_t r = first_short; r < rows.size() && !placed; ++r) {
        const int x = (rows[r].used + rec_pack_gap + 7) / 8 * 8;
        if (x + w <= rec_min_width) {
          rows[r].pieces.push_back({c, x, w});
          rows[r].used = x + w;
          placed = true;
        }
      }
      if (!placed) rows.push_back({{{c, 0, w}}, w});
    }
    return rows;
  }

  // Widths rounded up to kRecWidthStep: a bounded set of input shapes, so the runtime's
  // per-shape kernels (JIT code, memory) stay few over a long run.
  int row_width(const RecRow& r) const {
    return std::max(rec_min_width, (r.used + kRecWidthStep - 1) / kRecWidthStep * kRecWidthStep);
  }

  // Decodes one recognizer batch: row i of `out` holds batch_rows[i]'s pieces side by side.
  void read_rec_batch(const runtime::TensorView& out, std::span<const RecRow> batch_rows, int batch_width,
                      std::vector<detail::CtcResult>& results) const {
    const size_t n = batch_rows.size();
    if (out.shape.size() != 3 || out.shape[0] != static_cast<int64_t>(n))
      throw runtime::ModelError("recognizer output is not [N,T,C]");
    const int frames = static_cast<int>(out.shape[1]), classes = static_cast<int>(out.shape[2]);
    if (static_cast<size_t>(classes) != labels.size())
      throw runtime::ModelError("model set " + set.name + ": the recognizer has " + std::to_string(classes) +
                                " classes but its dictionary gives " + std::to_string(labels.size()));
    const double px_per_frame = static_cast<double>(batch_width) / frames;
    for (size_t i = 0; i < n; ++i) {
      const auto& pieces = batch_rows[i].pieces;
      const float* row_out = out.data.data() + i * static_cast<size_t>(frames) * classes;
      // Pieces are in placement order; each owns the frames up to the middle of the gap after it.
      for (size_t k = 0; k < pieces.size(); ++k) {
        const int f0 = k == 0 ? 0 : static_cast<int>(std::lround((pieces[k - 1].x + pieces[k - 1].width + pieces[k].x) / 2.0 / px_per_frame));
        const int f1 = k + 1 == pieces.size()
                           ? frames
                           : static_cast<int>(std::lround((pieces[k].x + pieces[k].width + pieces[k + 1].x) / 2.0 / px_per_frame));
        detail::CtcResult& r = results[pieces[k].crop];
        r = detail::ctc_greedy_decode(row_out + static_cast<size_t>(f0) * classes, std::clamp(f1, f0, frames) - f0,
                                      classes, labels, options.rec_word_gap);
        for (auto& word : r.words) {  // frames of this piece -> fractions of its crop's width
          const auto fraction = [&](float frame) {
            return static_cast<float>(((f0 + frame) * px_per_frame - pieces[k].x) / pieces[k].width);
          };
          word.begin = fraction(word.begin), word.end = fraction(word.end);
        }
      }
    }
  }

  // Readings of the crops; their words' begin/end are fractions (0..1) of the crop's width.
  std::vector<detail::CtcResult> recognize(const std::vector<cv::Mat>& crops) {
    std::vector<detail::CtcResult> results(crops.size());
    std::vector<int> widths(crops.size());
    for (size_t i = 0; i < crops.size(); ++i)
      widths[i] = std::clamp(static_cast<int>(std::ceil(rec_height * static_cast<double>(crops[i].cols) / crops[i].rows)),
                             1, rec_max_width);
    std::vector<RecRow> rows = plan_rows(widths);
    std::stable_sort(rows.begin(), rows.end(), [&](const RecRow& a, const RecRow& b) { return row_width(a) < row_width(b); });
    for (size_t start = 0; start < rows.size();) {
      // Rows of similar width share a batch; the pixel budget bounds the [N, T, 6625] output.
      size_t n = 1;
      while (start + n < rows.size() && n < kRecBatch &&
             row_width(rows[start + n]) * static_cast<int>(n + 1) <= kRecBatchPixels &&
             row_width(rows[start + n]) * 4 <= row_width(rows[start]) * 5)
        ++n;
      const int batch_width = row_width(rows[start + n - 1]);
      const size_t plane = static_cast<size_t>(rec_height) * batch_width;
      runtime::Tensor& input = rec_input[0];
      input.shape = {static_cast<int64_t>(n), 3, rec_height, batch_width};
      input.data.assign(n * 3 * plane, 0.0f);  // 0 = padding after normalisation, as PaddleOCR
      for (size_t i = 0; i < n; ++i)
        for (const RecPiece& piece : rows[start + i].pieces) {
          cv::Mat resized;
          cv::resize(crops[piece.crop], resized, cv::Size(piece.width, rec_height));
          half_normaliser().write(resized, input.data.data() + i * 3 * plane + piece.x, static_cast<size_t>(batch_width),
                                  plane);
        }
      rec.run(rec_input, [&](std::span<const runtime::TensorView> outputs) {
        read_rec_batch(outputs[0], std::span<const RecRow>(rows).subspan(start, n), batch_width, results);
      });
      start += n;
    }
    return results;
  }

  // Area-weighted vote: are most regions read tall (vertical text = page turned sideways)?
  static bool looks_sideways(const std::vector<detail::DetectedLine>& lines) {
    double tall = 0, wide = 0;
    for (const auto& line : lines) {
      const double w = quad_width(line.crop), h = quad_height(line.crop);
      (h > 1.5 * w ? tall : wide) += w * h;
    }
    return tall > wide;
  }

  // Length-weighted classifier vote: is most of the page's text upside down?
  static bool page_looks_upside_down(const std::vector<detail::DetectedLine>& lines, const std::vector<float>& p180) {
    double weighted = 0, total = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const double w = std::max(quad_width(lines[i].crop), quad_height(lines[i].crop));
      weighted += w * p180[i];
      total += w;
    }
    return total > 0 && weighted / total > 0.5;
  }

  // How well a crop was read: its mean confidence, 0 for nothing read. A reading upside down
  // keeps few characters, at low confidence.
  static float reading_score(const detail::CtcResult& r) { return r.text.empty() ? 0.0f : r.confidence; }

  // The classifier alone never turns a page: the longest lines (they carry the most evidence)
  // are read both ways, and the page is turned only when the turned reading is clearly better
  // and confident. On a script the recognizer does not know, both ways are noise (an Arabic
  // page: 0.10 turned against 0.00 as it is; Korean print: about 0.6 against 0.5), and noise
  // turns nothing; upright text the recognizer knows reads at 0.9 and more.
  bool upside_down_reads_better(const std::vector<cv::Mat>& crops, const std::vector<detail::DetectedLine>& lines) {
    constexpr size_t kSample = 6;
    constexpr float kMargin = 0.05f;  // mean-confidence lead the turned reading needs
    constexpr float kConfident = 0.8f;  // mean confidence the turned reading needs
    std::vector<size_t> order(crops.size());
    std::iota(order.begin(), order.end(), size_t{0});
    const auto length = [&](size_t i) { return std::max(quad_width(lines[i].crop), quad_height(lines[i].crop)); };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return length(a) > length(b); });
    order.resize(std::min(order.size(), kSample));
    std::vector<cv::Mat> as_is, turned;
    for (size_t i : order) {
      as_is.push_back(crops[i]);
      turned.emplace_back();
      cv::rotate(crops[i], turned.back(), cv::ROTATE_180);
    }
    const auto mean_score = [](const std::vector<detail::CtcResult>& readings) {
      float sum = 0;
      for (const auto& r : readings) sum += reading_score(r);
      return sum / static_cast<float>(readings.size());
    };
    const float turned_score = mean_score(recognize(turned));
    return turned_score >= kConfident && turned_score > mean_score(recognize(as_is)) + kMargin;
  }

  OcrResult run_upright(const cv::Mat& input, double scale_back, int out_w, int out_h, const LanguageSpec& spec) {
    // Each batch gives its buffers back to the heap (batches grow in width, so kept ones would
    // not fit the next); the classifier's go back when it is done. This also covers an exception,
    // and returns what is left after the image.
    struct ReleaseAfterImage {
      Impl& impl;
      ~ReleaseAfterImage() {
        impl.rec.release_buffers();
        impl.cls.release_buffers();
        // The input tensors too (the detector's is ≈ 5 MiB at 960 px): an idle worker holds nothing.
        for (auto* inputs : {&impl.det_input, &impl.cls_input, &impl.rec_input}) inputs->assign(1, runtime::Tensor{});
      }
    } release_after{*this};
    OcrResult result;
    auto start = Clock::now();
    cv::Mat image = input;
    const float image_w = static_cast<float>(image.cols), image_h = static_cast<float>(image.rows);
    const Quad whole{Point{0, 0}, Point{image_w, 0}, Point{image_w, image_h}, Point{0, image_h}};
    std::vector<detail::DetectedLine> lines =
        options.single_line ? std::vector<detail::DetectedLine>{{whole, whole}} : detect(image);
    int rotation = 0;
    if (options.detect_page_rotation && !options.single_line && looks_sideways(lines)) {
      cv::rotate(input, image, cv::ROTATE_90_CLOCKWISE);
      rotation = 90;
      lines = detect(image);
    }
    result.timings.det = ms_since(start);

    start = Clock::now();
    std::vector<cv::Mat> crops;
    crops.reserve(lines.size());
    for (const auto& line : lines) crops.push_back(detail::crop_quad(image, line.crop));
    std::vector<char> flipped(crops.size(), 0);  // crop read turned by 180°
    std::vector<float> p180;
    if (options.use_classifier && !crops.empty()) {
      p180 = classify(crops);
      if (options.detect_page_rotation && !options.single_line && page_looks_upside_down(lines, p180) && upside_down_reads_better(crops, lines)) {
        const int w = image.cols, h = image.rows;  // the turned image has the same size
        rotation += 180;
        for (size_t i = 0; i < lines.size(); ++i) {
          lines[i].box = detail::rotate_quad(lines[i].box, 180, w, h);
          lines[i].crop = detail::rotate_quad(lines[i].crop, 180, w, h);
          cv::rotate(crops[i], crops[i], cv::ROTATE_180);
          p180[i] = 1.0f - p180[i];
        }
      }
      for (size_t i = 0; i < crops.size(); ++i)
        if (p180[i] > options.cls_threshold) {
          cv::rotate(crops[i], crops[i], cv::ROTATE_180);
          flipped[i] = 1;
        }
    }
    result.timings.cls = ms_since(start);

    start = Clock::now();
    // Languages without a PP recognizer are read by Tesseract alone (route_lines below).
    auto texts = spec.pp ? recognize(crops) : std::vector<detail::CtcResult>(crops.size());
    // A line the classifier turned is read the other way too, and the better reading kept: a
    // wrong turn must not lose the line.
    std::vector<size_t> turned;
    std::vector<cv::Mat> turned_back;
    for (size_t i = 0; i < crops.size(); ++i)
      if (flipped[i]) {
        turned.push_back(i);
        turned_back.emplace_back();
        cv::rotate(crops[i], turned_back.back(), cv::ROTATE_180);
      }
    if (!turned.empty() && spec.pp) {
      auto other = recognize(turned_back);
      for (size_t k = 0; k < turned.size(); ++k)
        if (reading_score(other[k]) > reading_score(texts[turned[k]])) {
          texts[turned[k]] = std::move(other[k]);
          flipped[turned[k]] = 0;
          crops[turned[k]] = std::move(turned_back[k]);
        }
    }
    const std::vector<LineLanguage> routed = route_lines(spec, options.route_keep_confidence, crops, flipped, texts, tesseract);
    result.timings.rec = ms_since(start);

    start = Clock::now();
    const auto to_output = [&](Point p) { return Point{p.x * static_cast<float>(scale_back), p.y * static_cast<float>(scale_back)}; };
    for (size_t i = 0; i < lines.size(); ++i) {
      const float min_confidence = routed[i].by_pp            ? options.rec_min_confidence
                                   : routed[i].in_page_script ? 0.0f
                                                              : options.tesseract_min_confidence;
      if (texts[i].text.empty() || texts[i].confidence < min_confidence) continue;
      TextLine line;
      line.text = texts[i].text;
      line.confidence = texts[i].confidence;
      line.box = lines[i].box;
      line.script = routed[i].script == Script::unknown ? "" : std::string(script_name(routed[i].script));
      line.language = routed[i].language;
      for (auto& p : line.box) p = to_output(p);
      const bool turned_crop = detail::crop_is_turned(lines[i].crop);
      for (const auto& w : texts[i].words) {
        Word word{w.text, w.confidence,
                  detail::sub_quad(lines[i].box, lines[i].crop, w.begin, w.end, turned_crop, flipped[i] != 0)};
        for (auto& p : word.box) p = to_output(p);
        line.words.push_back(std::move(word));
      }
      result.lines.push_back(std::move(line));
    }
    result.text = detail::assign_reading_order(result.lines);
    result.page_rotation = rotation;
    const bool swapped = rotation == 90 || rotation == 270;
    result.width = swapped ? out_h : out_w;
    result.height = swapped ? out_w : out_h;
    result.timings.post = ms_since(start);
    return result;
  }
};

Pipeline::Pipeline(const PipelineOptions& options) : impl_(std::make_unique<Impl>(options, load_models(options))) {}
Pipeline::Pipeline(const PipelineOptions& options, ModelLibrary& models)
    : impl_(std::make_unique<Impl>(options, models.get(options))) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

const PipelineOptions& Pipeline::options() const { return impl_->options; }

std::vector<std::filesystem::path> Pipeline::save_int8_tables(const std::filesystem::path& out_dir) const {
  const Impl& p = *impl_;
  std::vector<std::filesystem::path> written;
  for (const runtime::Session* session : {&p.det, &p.cls, &p.rec}) {
    if (session->int8_ranges().empty()) continue;
    const ModelSet& set = p.set;
    const std::filesystem::path& graph = session == &p.det ? set.det : session == &p.cls ? set.cls : set.rec;
    std::filesystem::path table = out_dir / std::filesystem::relative(graph, p.options.model_dir);
    table += ".int8";
    std::filesystem::create_directories(table.parent_path());
    runtime::save_int8_table(graph, session->int8_ranges(), table);
    written.push_back(table);
  }
  return written;
}

OcrResult Pipeline::run(std::span<const uint8_t> encoded_image) { return run(encoded_image, impl_->languages); }
OcrResult Pipeline::run(const cv::Mat& bgr_image) { return run(bgr_image, impl_->languages); }
void Pipeline::prepare_languages(const LanguageSpec& languages) { impl_->prepare_languages(languages); }

OcrResult Pipeline::run(std::span<const uint8_t> encoded_image, const LanguageSpec& languages) {
  const auto start = Clock::now();
  const detail::DecodedImage decoded = detail::decode_with_size(encoded_image, impl_->options.limits);
  const double decode_ms = ms_since(start);
  const double scale_back = static_cast<double>(decoded.original_width) / decoded.bgr.cols;
  OcrResult result = impl_->run_upright(decoded.bgr, scale_back, decoded.original_width, decoded.original_height,
                                          languages);
  result.timings.decode = decode_ms;
  result.timings.total = ms_since(start);
  return result;
}

OcrResult Pipeline::run(const cv::Mat& bgr_image, const LanguageSpec& languages) {
  const auto start = Clock::now();
  if (bgr_image.empty()) throw ImageError("empty image");
  if (bgr_image.depth() != CV_8U || bgr_image.channels() != 3) throw ImageError("expected an 8-bit BGR image");
  cv::Mat image = bgr_image;
  const int longest = std::max(image.cols, image.rows);
  const int max_side = impl_->options.limits.max_side;
  if (max_side > 0 && longest > max_side) {
    const double scale = static_cast<double>(max_side) / longest;
    cv::resize(bgr_image, image, cv::Size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                                          std::max(1, static_cast<int>(std::lround(image.rows * scale)))),
               0, 0, cv::INTER_AREA);
  }
  const double decode_ms = ms_since(start);
  OcrResult result = impl_->run_upright(image, static_cast<double>(bgr_image.cols) / image.cols, bgr_image.cols, bgr_image.rows, languages);
  result.timings.decode = decode_ms;
  result.timings.total = ms_since(start);
  return result;
}

}  // namespace edgeocr::ocr
