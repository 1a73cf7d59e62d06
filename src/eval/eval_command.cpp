// `edgeocr eval`: accuracy and speed of the OCR engines on a labelled folder.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "eval/evaluate.h"
#include "ocr/cli_common.h"

namespace edgeocr::cli {
namespace {

// The engine's tuning knobs (detector, word gaps); one left unset keeps the default.
void add_engine_tuning_options(CLI::App& cmd, eval::EngineOptions& engine) {
  struct Knob {
    const char* flag;
    std::optional<float>* value;
    const char* what;
    double min, max;
  };
  for (const Knob& knob : {Knob{"--det-thresh", &engine.det_threshold, "pixel probability threshold", 0.0, 1.0},
                           Knob{"--det-box-thresh", &engine.det_box_threshold,
                                "minimum mean probability of a kept box", 0.0, 1.0},
                           Knob{"--det-unclip-ratio", &engine.det_unclip_ratio,
                                "how far the region read is grown around its text core", 0.5, 4.0},
                           Knob{"--det-box-unclip-ratio", &engine.det_box_unclip_ratio,
                                "how far the reported line box is grown around its text core", 0.5, 4.0}})
    cmd.add_option(knob.flag, *knob.value, std::string("Detector: ") + knob.what + " (default: the model set's)")
        ->check(CLI::Range(knob.min, knob.max));
  cmd.add_option("--rec-word-gap", engine.rec_word_gap,
                 "Recognizer: restore a space where characters are this many median pitches apart (0: off)")
      ->check(CLI::Range(0.0, 4.0));
}

}  // namespace

void register_eval_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<eval::EvalOptions>();
  auto engine = std::make_shared<std::string>("native");
  auto report = std::make_shared<std::string>();
  auto no_isolation = std::make_shared<bool>(false);
  // Model sets of the native engine: one, or several side by side ("v4,v5" or "all").
  auto models = std::make_shared<std::string>(ocr::cli_detail::default_model_set());
  CLI::App* cmd = app.add_subcommand(
      "eval", "Score OCR engines on a labelled folder (SROIE layout or image + .json labels)");
  cmd->add_option("--dataset", options->dataset,
                  "Folder: img/ box/ key/ (SROIE) or images with same-name .json labels")
      ->required();
  cmd->add_option("--engine", *engine, "native, tesseract, both, labels (extraction on the "
                                       "labelled lines: perfect OCR), or predictions:DIR (another "
                                       "tool's output, DIR/<image id>.json in EdgeOCR's JSON)")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (value == "native" || value == "tesseract" || value == "both" || value == "labels") return "";
            if (value.rfind("predictions:", 0) == 0 && value.size() > 12) return "";
            return "must be native, tesseract, both, labels or predictions:DIR";
          },
          "ENGINE"));
  cmd->add_option("--report", *report, "Write the full report (metrics, per-image times, "
                                       "mismatch examples) as JSON to this file");
  cmd->add_option("--limit", options->limit, "Only the first N images (sorted by name)");
  cmd->add_option("--model-path", options->engine.model_dir,
                  "OCR model folder (native engine; env EDGEOCR_MODEL_PATH; searched as for `ocr` when unset)");
  cmd->add_option("--models", *models,
                  ocr::cli_detail::model_set_help() + "; several comma-separated (or all) are scored side by side")
      ->capture_default_str();
  options->engine.precision = ocr::cli_detail::default_precision();
  cmd->add_option("--precision", options->engine.precision, ocr::cli_detail::precision_help())
      ->check(CLI::IsMember(ocr::precision_names()))
      ->capture_default_str();
  cmd->add_option("--only", options->only_prefix, "Only images whose name starts with this (e.g. a language: ja_)");
  cmd->add_option("--threads", options->engine.threads, "Threads for the native engine")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--fields-model", options->fields_model,
                  "Learned field model (edgeocr fields train): fields scored by the rules and by the model, side by side");
  cmd->add_option("--ocr-cache", options->engine.ocr_cache,
                  "Folder of native OCR results (<id>.json): read where present, written where missing");
  add_engine_tuning_options(*cmd, options->engine);
  cmd->add_option("--det-max-side", options->engine.det_max_side,
                  "Detector: longest image side fed to the detector, in pixels (default 960)")
      ->check(CLI::Range(320, 4096));
  cmd->add_option("--det-fine-max-side", options->engine.det_fine_max_side,
                  "Detector: longest side of the second, tiled pass on pages whose text is too small at "
                  "--det-max-side (default 1600; 0 = no second pass)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--lang", options->engine.languages,
                  "Languages of the native engine, as `edgeocr ocr -l`: chi_sim+eng, ara, auto, ...")
      ->capture_default_str();
  cmd->add_option("--tesseract-lang", options->engine.tesseract_languages,
                  "Tesseract languages (default chi_sim+eng)");
  cmd->add_option("--tessdata", options->engine.tessdata_dir, "Tesseract traineddata folder");
  cmd->add_flag("--no-isolation", *no_isolation,
                "Run engines in this process (peak RSS is then the process's, cumulative)");
  cmd->callback([options, engine, models, report, no_isolation, &exit_code]() {
    options->isolate_engines = !*no_isolation;
    std::vector<std::string> sets;
    if (*models == "all") {
      sets = ocr::model_set_names();
    } else {
      std::istringstream list(*models);
      for (std::string s; std::getline(list, s, ',');) sets.push_back(s);
    }
    if (sets.empty()) throw std::invalid_argument("--models: no model set named");
    for (const auto& s : sets)
      if (std::find(ocr::model_set_names().begin(), ocr::model_set_names().end(), s) == ocr::model_set_names().end())
        throw std::invalid_argument("--models: unknown model set '" + s + "' (choose " +
                                    ocr::model_set_names_joined(", ") + " or all)");
    // One native engine per model set; a single set keeps the plain name "native".
    std::vector<std::string> native{"native"};
    if (sets.size() > 1) {
      native.clear();
      for (const auto& s : sets) native.push_back("native:" + s);
    } else {
      options->engine.models = sets.front();
    }
    options->engines.clear();
    if (*engine == "native" || *engine == "both") options->engines = native;
    if (*engine == "tesseract" || *engine == "both") options->engines.push_back("tesseract");
    if (*engine == "labels" || engine->starts_with("predictions:")) options->engines.push_back(*engine);
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
  });
}

}  // namespace edgeocr::cli
