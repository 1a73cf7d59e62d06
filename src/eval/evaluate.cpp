#include "eval/evaluate.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "eval/ocr_cache.h"
#include "extract/extract.h"
#include "extract/learned_fields.h"

namespace edgeocr::eval {
namespace {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled)
      : label_(std::move(label)), total_(total), enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1) {}
  void update(size_t done) {
    if (!enabled_ || total_ == 0) return;
    if (tty_) {
      constexpr size_t kWidth = 30;
      size_t filled = done * kWidth / total_;
      std::fprintf(stderr, "\r%-10s [%s%s] %zu/%zu", label_.c_str(), std::string(filled, '#').c_str(),
                   std::string(kWidth - filled, '.').c_str(), done, total_);
      if (done == total_) std::fprintf(stderr, "\n");
    } else if (done == total_ || done * 10 / total_ != (done - 1) * 10 / total_) {
      // Not a terminal: a plain counter line at every tenth.
      std::fprintf(stderr, "eval %s: %zu/%zu images\n", label_.c_str(), done, total_);
    }
    std::fflush(stderr);
  }

 private:
  std::string label_;
  size_t total_;
  bool enabled_, tty_;
};

long self_peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

// Runs `evaluate_engine` in a forked child; the child writes its stats as JSON to a temp file.
std::vector<EngineStats> evaluate_in_child(const Dataset& dataset, const std::string& engine,
                                           const EngineOptions& options, bool progress,
                                           const std::filesystem::path& fields_model) {
  char path[] = "/tmp/edgeocr-eval-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for the eval child");
  close(fd);
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = fork();
  if (pid < 0) {
    std::remove(path);
    auto stats = evaluate_engine(dataset, engine, options, progress, fields_model);
    for (auto& st : stats) st.set_peak_rss_kb(self_peak_rss_kb());
    return stats;
  }
  if (pid == 0) {
    int code = 0;
    nlohmann::json out;
    try {
      out = nlohmann::json::array();
      for (const auto& st : evaluate_engine(dataset, engine, options, progress, fields_model))
        out.push_back(st.to_json());
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
      code = 3;
    }
    {
      std::ofstream f(path);
      f << out.dump();
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  rusage usage{};
  pid_t waited;
  do {
    waited = wait4(pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path);
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error"))
    throw std::runtime_error("engine " + engine + ": " + j["error"].get<std::string>());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !j.is_array())
    throw std::runtime_error("engine " + engine + " crashed (status " + std::to_string(status) + ")");
  std::vector<EngineStats> stats;
  for (const auto& e : j) {
    stats.push_back(EngineStats::from_json(e));
    stats.back().set_peak_rss_kb(usage.ru_maxrss);
  }
  return stats;
}

}  // namespace

std::vector<EngineStats> evaluate_engine(const Dataset& dataset, const std::string& engine_name,
                                         const EngineOptions& options, bool progress,
                                         const std::filesystem::path& fields_model) {
  EngineOptions engine_options = options;
  engine_options.single_line = dataset.layout == DatasetLayout::line_images;
  auto engine = make_engine(engine_name, engine_options);
  std::optional<OcrCache> cache;
  if (!options.ocr_cache.empty() && engine_name == "native") cache.emplace(options.ocr_cache);
  std::vector<EngineStats> stats{EngineStats(engine_name)};
  extract::ExtractRequest request;
  request.schema = "receipt";
  extract::ExtractRequest learned = request;
  if (!fields_model.empty()) {
    learned.fields_model = std::make_shared<const extract::FieldModel>(extract::FieldModel::load(fields_model));
    stats.emplace_back(engine_name + "+learned");
  }
  Progress bar(engine_name, dataset.samples.size(), progress);
  size_t done = 0;
  for (const auto& sample : dataset.samples) {
    try {
      auto start = std::chrono::steady_clock::now();
      std::optional<ocr::OcrResult> cached = cache ? cache->get(sample.id) : std::nullopt;
      ocr::OcrResult result = cached ? std::move(*cached) : engine->run(sample);
      if (cache && !cached) cache->put(sample.id, result);
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (size_t i = 0; i < stats.size(); ++i) {
        // Fields outside the receipt schema ("invoice_no", "total_amount") are asked for by name.
        extract::ExtractRequest req = i == 0 ? request : learned;
        auto schema_names = extract::resolve_fields(req);
        for (const auto& [name, value] : sample.fields)
          if (std::find(schema_names.begin(), schema_names.end(), name) == schema_names.end())
            req.fields.push_back(name);
        std::optional<extract::ExtractionResult> extraction;
        auto extract_start = std::chrono::steady_clock::now();
        if (!sample.fields.empty()) extraction = extract::extract(result, req);
        stats[i].add_extract_seconds(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - extract_start).count());
        stats[i].add(sample, result, extraction ? &*extraction : nullptr, seconds);
      }
    } catch (const std::exception& e) {
      for (auto& st : stats) st.add_failure(sample, e.what());
    }
    bar.update(++done);
  }
  for (auto& st : stats) st.set_peak_rss_kb(self_peak_rss_kb());
  return stats;
}

std::vector<EngineStats> evaluate(const EvalOptions& options) {
  Dataset dataset = load_dataset(options.dataset, options.limit, options.only_prefix);
  std::vector<EngineStats> out;
  for (const auto& name : options.engines) {
    // In-process runs fail early on a bad engine name or missing models, with the engine's own message.
    auto stats = options.isolate_engines
                     ? evaluate_in_child(dataset, name, options.engine, options.progress, options.fields_model)
                     : evaluate_engine(dataset, name, options.engine, options.progress, options.fields_model);
    out.insert(out.end(), stats.begin(), stats.end());
  }
  return out;
}

nlohmann::json report_json(const EvalOptions& options, const std::vector<EngineStats>& engines) {
  nlohmann::json j;
  j["dataset"] = options.dataset.string();
  j["limit"] = options.limit;
  j["iou_threshold"] = 0.5;
  j["field_match"] = "exact after trimming and collapsing runs of spaces";
  if (!options.fields_model.empty()) j["fields_model"] = options.fields_model.string();
  j["engines"] = nlohmann::json::object();
  for (const auto& e : engines) j["engines"][e.engine()] = e.to_json();
  return j;
}

}  // namespace edgeocr::eval
