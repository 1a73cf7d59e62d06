// `edgeocr ocr FILES... [--format text|json|tsv] [--model-path DIR] [--threads N]`
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "ocr/cli_common.h"
#include "ocr/json.h"
#include "ocr/model_locator.h"
#include "ocr/pipeline.h"
#include "extract/cli_options.h"  // [extraction] --schema / --instruction / --fields (src/extract)

namespace edgeocr::cli {
namespace {

struct OcrCommandOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::string model_path;  // empty: ocr::locate_model_dir searches
  int threads = 2;
  extract::ExtractRequest extraction;  // [extraction] empty unless --schema/--instruction/--fields
};

// One field of a TSV row: tabs and newlines would break the row.
std::string tsv_field(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

int run_ocr(const OcrCommandOptions& o) {
  // [extraction] Reject an unanswerable instruction before loading any model.
  if (!o.extraction.empty()) {
    try {
      extract::resolve_fields(o.extraction);
    } catch (const extract::UnsupportedInstruction& e) {
      std::cout << extract::to_json(e).dump(2) << "\n";
      std::cerr << "edgeocr: " << e.what() << "\n";
      return 2;
    } catch (const extract::InvalidRequest& e) {
      std::cerr << "edgeocr: " << e.what() << "\n";
      return 2;
    }
  }
  std::optional<ocr::Pipeline> pipeline;
  ocr::PipelineOptions options;
  try {
    options.model_dir = ocr::locate_model_dir(ocr::named_model_dir(o.model_path));
    options.threads = o.threads;
    pipeline.emplace(options);
  } catch (const ocr::ModelDirNotFound& e) {
    std::cerr << "edgeocr: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "edgeocr: cannot load the OCR models from " << options.model_dir.string() << ": " << e.what() << "\n";
    return 2;
  }
  const bool several = o.files.size() > 1;
  int failures = 0;
  nlohmann::json json_results = nlohmann::json::array();
  if (o.format == "tsv") std::cout << "file\torder\tconfidence\tx1\ty1\tx2\ty2\tx3\ty3\tx4\ty4\ttext\n";
  bool first_text = true;
  for (const auto& file : o.files) {
    ocr::OcrResult result;
    try {
      const auto bytes = ocr::cli_detail::read_file_bytes(file, pipeline->options().limits.max_bytes);
      result = pipeline->run(bytes);
    } catch (const std::exception& e) {  // ImageError, I/O, model errors: report and go on
      std::cerr << "edgeocr: " << file << ": " << e.what() << "\n";
      ++failures;
      if (o.format == "json" && several) json_results.push_back({{"file", file}, {"error", e.what()}});
      continue;
    }
    if (!o.extraction.empty() && o.format != "json") {  // [extraction] fields as JSON
      bool ok = true;
      nlohmann::json j = extract::run_for_cli(result, o.extraction, ok);
      if (several) j["file"] = file;
      std::cout << j.dump(2) << "\n";
      if (!ok) ++failures;
      continue;
    }
    if (o.format == "json") {
      nlohmann::json j = ocr::to_json(result);
      if (!o.extraction.empty()) {  // [extraction]
        bool ok = true;
        j.update(extract::run_for_cli(result, o.extraction, ok));
        if (!ok) ++failures;
      }
      if (several) {
        j["file"] = file;
        j["error"] = nullptr;
        json_results.push_back(std::move(j));
      } else {
        std::cout << j.dump(2) << "\n";
      }
    } else if (o.format == "tsv") {
      for (const auto& line : result.lines) {
        std::cout << tsv_field(file) << '\t' << line.order << '\t' << line.confidence;
        for (const auto& p : line.box) std::cout << '\t' << p.x << '\t' << p.y;
        std::cout << '\t' << tsv_field(line.text) << '\n';
      }
    } else {
      if (several) std::cout << (first_text ? "" : "\n") << "==> " << file << " <==\n";
      first_text = false;
      std::cout << result.text;
      if (!result.text.empty()) std::cout << '\n';
    }
  }
  if (o.format == "json" && several) std::cout << json_results.dump(2) << "\n";
  std::cout.flush();
  return failures ? 1 : 0;
}

}  // namespace

void register_ocr_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<OcrCommandOptions>();
  CLI::App* cmd = app.add_subcommand("ocr", "Recognize text in images (JPEG, PNG, BMP, TIFF, WebP)");
  cmd->add_option("files", options->files, "image files")->required();
  cmd->add_option("--format", options->format, "output: text (reading order), json, tsv (one row per line)")
      ->check(CLI::IsMember({"text", "json", "tsv"}))
      ->capture_default_str();
  cmd->add_option("--model-path", options->model_path, "folder with the OCR models (env EDGEOCR_MODEL_PATH; default: the first of ./models, "
                  "/usr/share/edgeocr/models, ../share/edgeocr/models beside the binary)");
  cmd->add_option("--threads", options->threads, "CPU threads for inference")->check(CLI::Range(1, 256))->capture_default_str();
  extract::add_cli_options(*cmd, options->extraction);  // [extraction] --schema/--instruction/--fields
  cmd->callback([options, &exit_code] { exit_code = run_ocr(*options); });
}

}  // namespace edgeocr::cli
