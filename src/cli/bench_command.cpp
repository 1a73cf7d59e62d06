// `edgeocr bench IMAGES_OR_FOLDERS... [--limit N] [--threads N] [--repeat K] [--model-path DIR]`
// Per-stage medians, end-to-end p50/p90, images/s, peak RSS, and the detector forward time of
// our runtime against OpenCV DNN on the same model and input.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/commands.h"
#include "ocr/cli_common.h"
#include "ocr/model_locator.h"
#include "ocr/pipeline.h"
#include "runtime/opencv_reference.h"
#include "runtime/runtime.h"

namespace edgeocr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::vector<std::string> inputs;
  size_t folder_limit = 0;  // images taken from each folder, first by name; 0: all
  int threads = 2;
  int repeat = 3;
  std::string model_path;  // empty: ocr::locate_model_dir searches
  std::string models = ocr::cli_detail::default_model_set();
  std::string precision = ocr::cli_detail::default_precision();
  std::string calibrate_dir;  // set: write int8 tables from one float pass instead of timing
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = static_cast<size_t>(std::ceil(pos));
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

std::vector<fs::path> collect_images(const BenchOptions& o) {
  std::vector<fs::path> images;
  auto add_folder = [&](const fs::path& dir, size_t limit) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
      if (entry.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" ||
                                      ext == ".tif" || ext == ".tiff" || ext == ".webp"))
        found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    if (found.size() > limit) found.resize(limit);
    images.insert(images.end(), found.begin(), found.end());
  };
  for (const auto& input : o.inputs) {
    if (fs::is_directory(input)) {
      add_folder(input, o.folder_limit > 0 ? o.folder_limit : static_cast<size_t>(-1));
    } else {
      images.emplace_back(input);
    }
  }
  if (images.empty()) throw std::runtime_error("no images to benchmark");
  return images;
}

// The detector's input for one image, prepared as the pipeline does it (longer side <= 960,
// multiples of 32, PaddleOCR normalisation in BGR plane order).
cv::Mat det_blob(const cv::Mat& bgr) {
  const int longest = std::max(bgr.cols, bgr.rows);
  const double ratio = longest > 960 ? 960.0 / longest : 1.0;
  const int h = std::max(32, static_cast<int>(std::lround(bgr.rows * ratio / 32.0)) * 32);
  const int w = std::max(32, static_cast<int>(std::lround(bgr.cols * ratio / 32.0)) * 32);
  cv::Mat resized, as_float;
  cv::resize(bgr, resized, cv::Size(w, h));
  resized.convertTo(as_float, CV_32FC3, 1.0 / 255.0);
  cv::subtract(as_float, cv::Scalar(0.485, 0.456, 0.406), as_float);
  cv::divide(as_float, cv::Scalar(0.229, 0.224, 0.225), as_float);
  return cv::dnn::blobFromImage(as_float);  // NCHW, no scaling, no channel swap
}

// One float32 pass over the images recording the input range of every int8-capable convolution
// of the recognizer, then its int8 table written under `out_dir` in the models folder's layout.
int calibrate(ocr::PipelineOptions options, const std::vector<std::vector<uint8_t>>& files, const fs::path& out_dir) {
  options.record_int8_ranges = true;
  ocr::Pipeline pipeline(options);
  for (const auto& bytes : files) (void)pipeline.run(bytes);
  for (const auto& table : pipeline.save_int8_tables(out_dir))
    std::printf("edgeocr bench: int8 table %s (calibrated on %zu images)\n", table.c_str(), files.size());
  return 0;
}

// Recognizer forward in float32 and in int8, alternated on the same input (a batch of 8 rows cut
// from the first image), so the two medians share the machine's load.
void compare_recognizer_precisions(const ocr::ModelSet& set, const cv::Mat& bgr, const BenchOptions& o) {
  const int h = set.rec_height, w = set.rec_min_width, batch = 8;
  cv::Mat row, as_float;
  cv::resize(bgr(cv::Rect(0, 0, bgr.cols, std::min(bgr.rows, bgr.cols * h / w))), row, cv::Size(w, h));
  row.convertTo(as_float, CV_32FC3, 2.0 / 255.0, -1.0);  // PP-OCR recognizer normalisation
  const cv::Mat blob = cv::dnn::blobFromImage(as_float);
  std::vector<float> data;
  for (int b = 0; b < batch; ++b) data.insert(data.end(), blob.ptr<float>(), blob.ptr<float>() + blob.total());
  const std::vector<runtime::Tensor> inputs{runtime::Tensor({batch, 3, h, w}, data)};
  runtime::Session fp32(runtime::Model::load(set.rec, {o.threads}));
  const runtime::Model int8_model = runtime::Model::load(set.rec, {o.threads, set.rec_int8});
  if (int8_model.int8_layers() == 0) {
    std::printf("rec forward: int8 table present, but no convolution runs in int8 here (a CPU without VNNI)\n");
    return;
  }
  runtime::Session int8(int8_model);
  std::vector<double> fp32_ms, int8_ms;
  double max_diff = 0;
  const int runs = std::max(10, 4 * o.repeat);
  for (int r = 0; r <= runs; ++r) {
    auto s = Clock::now();
    const auto a = fp32.run(inputs);
    const double t_fp32 = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    s = Clock::now();
    const auto b = int8.run(inputs);
    const double t_int8 = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    if (r == 0) {  // first run: shapes prepared
      for (size_t i = 0; i < a.at(0).data.size(); ++i)
        max_diff = std::max(max_diff, static_cast<double>(std::abs(a[0].data[i] - b.at(0).data[i])));
      continue;
    }
    fp32_ms.push_back(t_fp32), int8_ms.push_back(t_int8);
  }
  const double f = percentile(fp32_ms, 0.5), q = percentile(int8_ms, 0.5);
  std::printf("rec forward %dx%dx%d (ms, median of %d, alternated): float32 %.1f  int8 %.1f (%d layers) -> %.2fx "
              "(max |diff| of the outputs %.2g)\n",
              batch, h, w, runs, f, q, int8_model.int8_layers(), f / q, max_diff);
}

int run_bench(const BenchOptions& o) {
  const auto images = collect_images(o);
  ocr::PipelineOptions options;
  options.model_dir = ocr::locate_model_dir(ocr::named_model_dir(o.model_path));
  options.models = o.models;
  options.threads = o.threads;
  options.precision = ocr::parse_precision(o.precision);
  std::vector<std::vector<uint8_t>> files;
  for (const auto& path : images) files.push_back(ocr::cli_detail::read_file_bytes(path, options.limits.max_bytes));
  if (!o.calibrate_dir.empty()) return calibrate(options, files, o.calibrate_dir);

  const auto load_start = Clock::now();
  ocr::Pipeline pipeline(options);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
  std::printf("edgeocr bench: %zu images, %d threads, %d repeats (+1 warm-up), models loaded in %.0f ms\n",
              images.size(), o.threads, o.repeat, load_ms);

  // Warm-up: shapes prepared, buffers grown. Its first image is what a one-shot process pays.
  std::vector<ocr::OcrResult> first_pass;
  for (const auto& bytes : files) first_pass.push_back(pipeline.run(bytes));
  const ocr::StageTimings& cold = first_pass.front().timings;
  std::printf("first image, new shapes (ms): decode %.1f  det %.1f  cls %.1f  rec %.1f  total %.1f\n", cold.decode,
              cold.det, cold.cls, cold.rec, cold.total);
  first_pass.clear();
  std::vector<double> decode, det, cls, rec, post, total;
  size_t lines = 0;
  const auto bench_start = Clock::now();
  for (int r = 0; r < o.repeat; ++r) {
    for (const auto& bytes : files) {
      const auto result = pipeline.run(bytes);
      decode.push_back(result.timings.decode), det.push_back(result.timings.det);
      cls.push_back(result.timings.cls), rec.push_back(result.timings.rec);
      post.push_back(result.timings.post), total.push_back(result.timings.total);
      lines += result.lines.size();
    }
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - bench_start).count();
  const double rss_mb = peak_rss_mb();
  std::printf("stage medians (ms): decode %.1f  det %.1f  cls %.1f  rec %.1f  post %.1f\n", percentile(decode, 0.5),
              percentile(det, 0.5), percentile(cls, 0.5), percentile(rec, 0.5), percentile(post, 0.5));
  std::printf("end-to-end per image (ms): p50 %.1f  p90 %.1f  (%.1f lines/image)\n", percentile(total, 0.5),
              percentile(total, 0.9), static_cast<double>(lines) / static_cast<double>(total.size()));
  std::printf("throughput: %.2f images/s\n", static_cast<double>(total.size()) / elapsed_s);
  std::printf("peak RSS: %.1f MB\n", rss_mb);

  const cv::Mat first = ocr::decode_image(files.front(), options.limits);
  const ocr::ModelSet set = ocr::load_model_set(options.model_dir, o.models);
  if (!set.rec_int8.empty()) compare_recognizer_precisions(set, first, o);

  // Detector forward only: our runtime vs OpenCV DNN, same model, same input (first image).
  const cv::Mat blob = det_blob(first);
  const int h = blob.size[2], w = blob.size[3];
  const auto det_path = set.det;
  runtime::Session model(runtime::Model::load(det_path, {o.threads}));
  const runtime::Tensor input({1, 3, h, w}, std::vector<float>(blob.ptr<float>(), blob.ptr<float>() + blob.total()));
  const std::vector<runtime::Tensor> inputs{input};
  std::vector<double> ours_ms, opencv_ms;
  std::vector<runtime::Tensor> ours_out;
  const int runs = std::max(3, o.repeat);
  for (int r = 0; r <= runs; ++r) {
    const auto s = Clock::now();
    ours_out = model.run(inputs);
    if (r) ours_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  cv::setNumThreads(o.threads);
  cv::Mat opencv_out;
  try {
    cv::dnn::Net net = runtime::load_opencv_det_reference(det_path, h, w);
    for (int r = 0; r <= runs; ++r) {
      const auto s = Clock::now();
      net.setInput(blob);
      opencv_out = net.forward();
      if (r) opencv_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    }
  } catch (const std::exception& e) {
    std::printf("det forward %dx%d (ms, median of %d): edgeocr runtime %.1f  (OpenCV DNN cannot run the %s "
                "detector: %s)\n",
                w, h, runs, percentile(ours_ms, 0.5), o.models.c_str(), e.what());
    return 0;
  }
  double max_diff = 0;
  if (static_cast<int64_t>(opencv_out.total()) == ours_out.at(0).numel()) {
    const float* ref = opencv_out.ptr<float>();
    for (size_t i = 0; i < opencv_out.total(); ++i)
      max_diff = std::max(max_diff, static_cast<double>(std::abs(ref[i] - ours_out[0].data[i])));
  } else {
    max_diff = -1;
  }
  const double ours = percentile(ours_ms, 0.5), theirs = percentile(opencv_ms, 0.5);
  std::printf("det forward %dx%d (ms, median of %d): edgeocr runtime %.1f  OpenCV DNN %.1f  -> %.2fx faster "
              "(max |diff| %.2g)\n",
              w, h, runs, ours, theirs, theirs / ours, max_diff);
  return 0;
}

}  // namespace

void register_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Benchmark the OCR pipeline on the images given");
  cmd->add_option("images", options->inputs, "image files or folders (a folder: its images, sorted by name)");
  cmd->add_option("--limit", options->folder_limit, "take only the first N images of each folder (0: all)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "CPU threads")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--repeat", options->repeat, "timed passes over the images")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--model-path", options->model_path, "folder with the OCR models (env EDGEOCR_MODEL_PATH; default: the first of ./models, "
                  "/usr/share/edgeocr/models, ../share/edgeocr/models beside the binary)");
  cmd->add_option("--models", options->models, ocr::cli_detail::model_set_help())
      ->check(CLI::IsMember(ocr::model_set_names()))
      ->capture_default_str();
  cmd->add_option("--precision", options->precision, ocr::cli_detail::precision_help())
      ->check(CLI::IsMember(ocr::precision_names()))
      ->capture_default_str();
  cmd->add_option("--calibrate", options->calibrate_dir,
                  "instead of timing: write the int8 table of the set's recognizer (MODEL.int8) into DIR, in the "
                  "models folder's layout, from one float32 pass over the images")
      ->type_name("DIR");
  cmd->callback([options, &exit_code] {
    if (options->inputs.empty())
      throw CLI::ValidationError("images", "none given: name image files or folders, e.g. "
                                           "`edgeocr bench ../shared/eval/sroie/img --limit 10`");
    exit_code = run_bench(*options);
  });
}

}  // namespace edgeocr::cli
