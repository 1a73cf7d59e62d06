// Runs engines over a labelled dataset and scores them (the core of `edgeocr eval`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/dataset.h"
#include "eval/engines.h"
#include "eval/metrics.h"

namespace edgeocr::eval {

struct EvalOptions {
  std::filesystem::path dataset;
  std::vector<std::string> engines{"native"};  // run in this order
  size_t limit = 0;                            // 0 = all images
  std::string only_prefix;                     // only samples whose id starts with this
  EngineOptions engine;
  // Each engine runs in a forked child so that its peak RSS is its own; off = in-process.
  bool isolate_engines = true;
  bool progress = true;                        // progress on stderr
  // A learned field model: each engine is then scored twice, fields by the rules ("native")
  // and by the model ("native+learned"), on the same OCR.
  std::filesystem::path fields_model;
};

// Runs one engine over the samples in this process (progress on stderr if enabled): its stats
// with the rules' fields, then, when `fields_model` is set, the same OCR with learned fields.
std::vector<EngineStats> evaluate_engine(const Dataset& dataset, const std::string& engine,
                                         const EngineOptions& options, bool progress,
                                         const std::filesystem::path& fields_model = {});

// Loads the dataset and runs every engine. Throws DatasetError / std::runtime_error.
std::vector<EngineStats> evaluate(const EvalOptions& options);

nlohmann::json report_json(const EvalOptions& options, const std::vector<EngineStats>& engines);

}  // namespace edgeocr::eval
