// `edgeocr eval`: accuracy and speed of the OCR engines on a labelled folder.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "eval/evaluate.h"

namespace edgeocr::cli {

void register_eval_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<eval::EvalOptions>();
  // Same default as `edgeocr ocr`: $EDGEOCR_MODEL_PATH, else ./models.
  if (const char* env = std::getenv("EDGEOCR_MODEL_PATH"); env && *env) options->engine.model_dir = env;
  auto engine = std::make_shared<std::string>("native");
  auto report = std::make_shared<std::string>();
  auto no_isolation = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "eval", "Score OCR engines on a labelled folder (SROIE layout or image + .json labels)");
  cmd->add_option("--dataset", options->dataset,
                  "Folder: img/ box/ key/ (SROIE) or images with same-name .json labels")
      ->required();
  cmd->add_option("--engine", *engine, "native, tesseract, both, or labels (extraction on the "
                                       "labelled lines: perfect OCR)")
      ->check(CLI::IsMember({"native", "tesseract", "both", "labels"}));
  cmd->add_option("--report", *report, "Write the full report (metrics, per-image times, "
                                       "mismatch examples) as JSON to this file");
  cmd->add_option("--limit", options->limit, "Only the first N images (sorted by name)");
  cmd->add_option("--model-path", options->engine.model_dir, "PP-OCR model folder (native engine; env EDGEOCR_MODEL_PATH)")
      ->capture_default_str();
  cmd->add_option("--threads", options->engine.threads, "Threads for the native engine")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--fields-model", options->fields_model,
                  "Learned field model (edgeocr fields train): fields scored by the rules and by the model, side by side");
  cmd->add_option("--ocr-cache", options->engine.ocr_cache,
                  "Folder of native OCR results (<id>.json): read where present, written where missing");
  cmd->add_option("--tesseract-lang", options->engine.tesseract_languages,
                  "Tesseract languages (default chi_sim+eng)");
  cmd->add_option("--tessdata", options->engine.tessdata_dir, "Tesseract traineddata folder");
  cmd->add_flag("--no-isolation", *no_isolation,
                "Run engines in this process (peak RSS is then the process's, cumulative)");
  cmd->callback([options, engine, report, no_isolation, &exit_code]() {
    options->engines = *engine == "both" ? std::vector<std::string>{"native", "tesseract"}
                                         : std::vector<std::string>{*engine};
    options->isolate_engines = !*no_isolation;
    try {
      auto results = eval::evaluate(*options);
      std::cout << "dataset: " << options->dataset.string() << "  images: "
                << (results.empty() ? 0 : results.front().images()) << "\n"
                << eval::format_table(results);
      if (!report->empty()) {
        std::ofstream out(*report);
        if (!out) throw std::runtime_error("cannot write report " + *report);
        out << eval::report_json(*options, results).dump(2) << "\n";
        std::cout << "report: " << *report << "\n";
      }
      exit_code = 0;
      for (const auto& r : results)
        if (r.failures() == r.images()) exit_code = 1;  // an engine that read nothing is an error
    } catch (const std::exception& e) {
      std::cerr << "edgeocr eval: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
