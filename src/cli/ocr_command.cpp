// `edgeocr ocr INPUTS... [--format F] [-o FILE | --output-dir DIR] [--jobs N] ...`
// Inputs are image/PDF/HEIC files, folders (-r to recurse), `-` for stdin and @LIST files; each
// page of each input is read and written through one renderer (ocr/render.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "extract/cli_options.h"
#include "ocr/cli_common.h"
#include "ocr/model_locator.h"
#include "ocr/pages.h"
#include "ocr/pipeline.h"
#include "ocr/render.h"

namespace edgeocr::cli {
namespace {

namespace fs = std::filesystem;

struct OcrCommandOptions {
  std::vector<std::string> inputs;
  bool recursive = false;
  std::string format = "text";
  std::string output_file;
  std::string output_dir;
  int dpi = 200;
  std::string pages;
  int jobs = 1;
  bool quiet = false;
  std::string lang{ocr::kDefaultLanguages};
  std::string model_path;  // empty: ocr::locate_model_dir searches
  std::string models = ocr::cli_detail::default_model_set();
  std::string precision = ocr::cli_detail::default_precision();
  int threads = 2;
  extract::ExtractRequest extraction;  // [extraction] empty unless --schema/--instruction/--fields
};

// Syntax only: whether each Tesseract pack is installed is checked when the pipelines load.
std::string check_languages(const std::string& spec) {
  try {
    ocr::parse_languages(spec);
    return "";
  } catch (const ocr::LanguageError& e) {
    return e.what();
  }
}

// File extensions picked up from folders.
bool is_document_name(const fs::path& p) {
  static const std::set<std::string> exts = {".jpg", ".jpeg", ".png",  ".bmp",  ".tif", ".tiff",
                                             ".webp", ".pdf", ".heic", ".heif", ".jpe"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return exts.count(ext) > 0;
}

struct Input {
  std::string name;      // as shown in output and messages
  fs::path path;         // empty for stdin
  fs::path output_name;  // relative output path without extension (for --output-dir)
  std::string error;     // set when the input itself could not be listed
};

void add_folder(const fs::path& folder, bool recursive, std::vector<Input>& out) {
  std::vector<fs::path> found;
  std::error_code ec;
  const auto options = fs::directory_options::skip_permission_denied;
  if (recursive) {
    for (fs::recursive_directory_iterator it(folder, options, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file() && is_document_name(it->path())) found.push_back(it->path());
  } else {
    for (fs::directory_iterator it(folder, options, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file() && is_document_name(it->path())) found.push_back(it->path());
  }
  if (ec) {
    out.push_back({folder.string(), folder, folder.filename(), "cannot list folder: " + ec.message()});
    return;
  }
  std::sort(found.begin(), found.end());
  for (const auto& p : found)
    out.push_back({p.string(), p, fs::path(p.lexically_relative(folder)).replace_extension(), ""});
}

void add_input(const std::string& arg, bool recursive, std::vector<Input>& out, int depth = 0) {
  if (arg == "-") {
    out.push_back({"-", {}, "stdin", ""});
    return;
  }
  if (arg.size() > 1 && arg[0] == '@' && depth == 0) {  // a list file: one input per line
    std::ifstream list(arg.substr(1));
    if (!list) {
      out.push_back({arg, {}, "list", "cannot open list file " + arg.substr(1)});
      return;
    }
    std::string line;
    while (std::getline(list, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      add_input(line, recursive, out, depth + 1);
    }
    return;
  }
  const fs::path p(arg);
  std::error_code ec;
  if (fs::is_directory(p, ec)) return add_folder(p, recursive, out);
  out.push_back({arg, p, fs::path(p.filename()).replace_extension(), ""});
}

std::vector<uint8_t> read_stdin(int64_t max_bytes) {
  std::vector<uint8_t> bytes;
  char buffer[1 << 16];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    bytes.insert(bytes.end(), buffer, buffer + std::cin.gcount());
    if (static_cast<int64_t>(bytes.size()) > max_bytes)
      throw std::runtime_error("stdin too large: over " + std::to_string(max_bytes) + " bytes");
  }
  return bytes;
}

struct PageOutcome {
  int number = 1;
  ocr::OcrResult result;
  cv::Mat image;  // kept only when the format needs it (pdf)
  nlohmann::json extra;
};

struct InputOutcome {
  std::vector<PageOutcome> pages;
  std::string error;         // the input failed (no pages written)
  bool extraction_failed = false;
  int dpi = 0;               // page image resolution when known (PDF: --dpi)
};

class Progress {
 public:
  Progress(size_t total, bool enabled) : total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void update(size_t done, size_t pages) {
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? pages / elapsed : 0;
    const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : 0;
    std::fprintf(stderr, "\r\033[Kedgeocr: %zu/%zu files, %.2f images/s, ETA %.0f s", done, total_, rate, eta);
    if (done == total_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

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
  ocr::PageOptions page_options;
  page_options.dpi = o.dpi;
  try {
    if (!o.pages.empty()) page_options.pages = ocr::parse_page_ranges(o.pages);
  } catch (const std::invalid_argument& e) {
    std::cerr << "edgeocr: --pages: " << e.what() << "\n";
    return 2;
  }
  std::vector<Input> inputs;
  for (const auto& arg : o.inputs) add_input(arg, o.recursive, inputs);
  if (inputs.empty()) {
    std::cerr << "edgeocr: no images found in the given inputs\n";
    return 1;
  }
  if (std::count_if(inputs.begin(), inputs.end(), [](const Input& i) { return i.name == "-"; }) > 1) {
    std::cerr << "edgeocr: '-' (stdin) can be given only once\n";
    return 2;
  }

  // Within the thread budget: N pipelines of threads/N threads each.
  const int jobs = std::max(1, std::min({o.jobs, o.threads, static_cast<int>(inputs.size())}));
  std::vector<ocr::Pipeline> pipelines;
  ocr::PipelineOptions options;
  try {
    options.model_dir = ocr::locate_model_dir(ocr::named_model_dir(o.model_path));
    options.models = o.models;
    options.precision = ocr::parse_precision(o.precision);
    options.threads = std::max(1, o.threads / jobs);
    options.languages = o.lang;
    for (int j = 0; j < jobs; ++j) pipelines.emplace_back(options);
  } catch (const ocr::LanguageError& e) {
    std::cerr << "edgeocr: --lang: " << e.what() << "\n";
    return 2;
  } catch (const ocr::ModelDirNotFound& e) {
    std::cerr << "edgeocr: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "edgeocr: cannot load the OCR models from " << options.model_dir.string() << ": " << e.what() << "\n";
    return 2;
  }
  page_options.limits = pipelines.front().options().limits;

  const bool keep_images = o.format == "pdf";
  const auto process = [&](ocr::Pipeline& pipeline, const Input& input) {
    InputOutcome outcome;
    if (!input.error.empty()) {
      outcome.error = input.error;
      return outcome;
    }
    try {
      const auto bytes = input.name == "-" ? read_stdin(page_options.limits.max_bytes)
                                           : ocr::cli_detail::read_file_bytes(input.path, page_options.limits.max_bytes);
      if (ocr::document_format(bytes) == "PDF") outcome.dpi = o.dpi;
      auto decode_start = std::chrono::steady_clock::now();
      ocr::for_each_page(bytes, page_options, [&](ocr::Page&& page) {
        // The file was decoded here, not in the pipeline: count it in the page's timings.
        const double decode_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - decode_start).count();
        PageOutcome p;
        p.number = page.number;
        p.result = pipeline.run(page.bgr);
        p.result.timings.decode += decode_ms;
        p.result.timings.total += decode_ms;
        if (keep_images) p.image = std::move(page.bgr);
        if (!o.extraction.empty()) {  // [extraction]
          bool ok = true;
          p.extra = extract::run_for_cli(p.result, o.extraction, ok);
          if (!ok) outcome.extraction_failed = true;
        }
        outcome.pages.push_back(std::move(p));
        decode_start = std::chrono::steady_clock::now();
      });
    } catch (const std::exception& e) {  // ImageError, I/O, model errors: report and go on
      outcome.pages.clear();
      outcome.error = e.what();
    }
    return outcome;
  };

  // Workers take inputs in order; the main thread writes each result as it is ready.
  std::vector<std::optional<InputOutcome>> outcomes(inputs.size());
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<size_t> finished;
  size_t next = 0;
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) {
    workers.emplace_back([&, j] {
      for (;;) {
        size_t index;
        {
          std::lock_guard lock(mutex);
          if (next >= inputs.size()) return;
          index = next++;
        }
        InputOutcome outcome = process(pipelines[static_cast<size_t>(j)], inputs[index]);
        std::lock_guard lock(mutex);
        outcomes[index] = std::move(outcome);
        finished.push_back(index);
        ready.notify_one();
      }
    });
  }

  const bool several = inputs.size() > 1;
  const ocr::RenderOptions render_options{several};
  std::ofstream file_out;
  std::ostream* shared_out = &std::cout;
  std::unique_ptr<ocr::ResultRenderer> shared;
  if (o.output_dir.empty()) {
    if (!o.output_file.empty()) {
      file_out.open(o.output_file, std::ios::binary);
      if (!file_out) {
        std::cerr << "edgeocr: cannot write " << o.output_file << "\n";
        for (auto& w : workers) w.join();
        return 1;
      }
      shared_out = &file_out;
    }
    shared = ocr::make_renderer(o.format, render_options);
    shared->begin(*shared_out);
  }

  int failures = 0;
  size_t pages_done = 0;
  Progress progress(inputs.size(), !o.quiet && ::isatty(STDERR_FILENO));
  const auto write = [&](size_t index) {
    const Input& input = inputs[index];
    InputOutcome& outcome = *outcomes[index];
    if (!outcome.error.empty()) {
      std::cerr << "edgeocr: " << input.name << ": " << outcome.error << "\n";
      ++failures;
      if (shared) shared->add_error(*shared_out, input.name, outcome.error);
      return;
    }
    if (outcome.extraction_failed) ++failures;
    std::ofstream own_file;
    std::unique_ptr<ocr::ResultRenderer> own;
    ocr::ResultRenderer* renderer = shared.get();
    std::ostream* out = shared_out;
    if (!o.output_dir.empty()) {
      const fs::path target = fs::path(o.output_dir) / (input.output_name.string() + std::string(ocr::render_extension(o.format)));
      std::error_code ec;
      fs::create_directories(target.parent_path(), ec);
      own_file.open(target, std::ios::binary);
      if (!own_file) {
        std::cerr << "edgeocr: " << input.name << ": cannot write " << target.string() << "\n";
        ++failures;
        return;
      }
      own = ocr::make_renderer(o.format, ocr::RenderOptions{false});
      renderer = own.get();
      out = &own_file;
      own->begin(*out);
    }
    for (const auto& page : outcome.pages) {
      ocr::RenderedPage rendered;
      rendered.file = input.name;
      rendered.page = page.number;
      rendered.result = &page.result;
      rendered.image = page.image.empty() ? nullptr : &page.image;
      rendered.extra = page.extra.is_null() ? nullptr : &page.extra;
      rendered.dpi = outcome.dpi;
      renderer->add_page(*out, rendered);
      if (!page.extra.is_null() && page.extra.contains("error"))
        std::cerr << "edgeocr: " << input.name << ": " << page.extra["error"].value("message", "extraction failed") << "\n";
    }
    if (own) own->end(*out);
    out->flush();
    pages_done += outcome.pages.size();
    outcome.pages.clear();  // written: free the images
  };

  // JSON Lines and per-input files go out in the order inputs finish; one shared document keeps
  // the input order.
  const bool completion_order = o.format == "jsonl" || !o.output_dir.empty();
  size_t written = 0, next_in_order = 0, done = 0;
  while (done < inputs.size()) {
    size_t index;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !finished.empty(); });
      index = finished.front();
      finished.pop_front();
    }
    ++done;
    if (completion_order) {
      write(index);
      ++written;
    } else {
      while (next_in_order < inputs.size()) {
        bool have;
        {
          std::lock_guard lock(mutex);
          have = outcomes[next_in_order].has_value();
        }
        if (!have) break;
        write(next_in_order++);
        ++written;
      }
    }
    progress.update(done, pages_done);
  }
  for (auto& w : workers) w.join();
  if (shared) {
    shared->end(*shared_out);
    shared_out->flush();
  }
  return failures ? 1 : 0;
}

}  // namespace

void register_ocr_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<OcrCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ocr", "Recognize text in images and documents (JPEG, PNG, BMP, TIFF incl. multi-page, WebP, PDF, HEIC/HEIF)");
  cmd->add_option("inputs", options->inputs, "files, folders, - (stdin) or @LIST (a file naming one input per line)")
      ->required();
  cmd->add_flag("-r,--recursive", options->recursive, "read folders with their sub-folders");
  std::string formats;
  for (const auto& f : ocr::render_formats()) formats += (formats.empty() ? "" : "|") + f;
  cmd->add_option("-f,--format", options->format, "output: " + formats)
      ->check(CLI::IsMember(ocr::render_formats()))
      ->capture_default_str();
  auto* output = cmd->add_option("-o,--output", options->output_file, "write all results into FILE instead of stdout")
                     ->type_name("FILE");
  cmd->add_option("--output-dir", options->output_dir, "write one file per input into DIR (extension from --format)")
      ->type_name("DIR")
      ->excludes(output);
  cmd->add_option("--dpi", options->dpi, "PDF render resolution")->check(CLI::Range(36, 1200))->capture_default_str();
  cmd->add_option("--pages", options->pages, "pages of PDF/TIFF/HEIF inputs to read, e.g. 1-3,5 (default: all)")
      ->type_name("RANGES");
  cmd->add_option("-j,--jobs", options->jobs, "inputs read in parallel (each gets threads/jobs threads)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", options->quiet, "no progress line on stderr");
  cmd->add_option("-l,--lang", options->lang, "languages, Tesseract style joined with +: chi_sim+eng (PP-OCR), ara, rus, kor, jpn, ... "
                  "(Tesseract LSTM, package tesseract-ocr-CODE), or auto (script detected per line)")
      ->check([](const std::string& v) { return check_languages(v); })
      ->capture_default_str();
  cmd->add_option("--model-path", options->model_path, "folder with the OCR models (env EDGEOCR_MODEL_PATH; default: the first of ./models, "
                  "/usr/share/edgeocr/models, ../share/edgeocr/models beside the binary)");
  cmd->add_option("--models", options->models, ocr::cli_detail::model_set_help())
      ->check(CLI::IsMember(ocr::model_set_names()))
      ->capture_default_str();
  cmd->add_option("--precision", options->precision, ocr::cli_detail::precision_help())
      ->check(CLI::IsMember(ocr::precision_names()))
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "CPU threads for inference (all jobs together)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  extract::add_cli_options(*cmd, options->extraction);  // [extraction] --schema/--instruction/--fields
  cmd->callback([options, &exit_code] { exit_code = run_ocr(*options); });
}

}  // namespace edgeocr::cli
