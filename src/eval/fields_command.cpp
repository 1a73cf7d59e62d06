// `edgeocr fields train`: trains the learned receipt field model on a labelled folder (the
// layouts `edgeocr eval` reads), from the engine's own OCR of its images.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "eval/dataset.h"
#include "eval/engines.h"
#include "eval/metrics.h"
#include "eval/ocr_cache.h"
#include "ocr/json.h"
#include "extract/learned_fields.h"
#include "extract/values.h"

namespace edgeocr::cli {
namespace {

struct TrainOptions {
  std::filesystem::path dataset, out, base, ocr_cache, misses;
  std::string engine = "native";
  bool with_labels = false;
  bool cached_only = false;
  int folds = 0;
  size_t limit = 0;
  eval::EngineOptions engine_options;
  extract::FieldTrainOptions train;
  std::string command_line;
};

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// SHA-256 over every sample's id, image, line labels and field labels, in id order: names the
// training data a model came from.
std::string data_hash(const eval::Dataset& dataset) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  auto add = [&](const std::string& s) {
    uint64_t size = s.size();
    EVP_DigestUpdate(ctx.get(), &size, sizeof size);
    EVP_DigestUpdate(ctx.get(), s.data(), s.size());
  };
  for (const auto& s : dataset.samples) {
    add(s.id);
    add(read_bytes(s.image));
    for (const auto& l : s.lines) {
      std::ostringstream box;
      for (const auto& p : l.box) box << p.x << ',' << p.y << ',';
      add(box.str() + l.text);
    }
    for (const auto& [k, v] : s.fields) add(k + '=' + v);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  std::ostringstream hex;
  for (unsigned int i = 0; i < size; ++i) hex << std::hex << std::setw(2) << std::setfill('0') << int(digest[i]);
  return hex.str();
}

// The training pages: the engine's OCR of every image (from the cache when it has them),
// plus, with --with-labels, the labelled lines of each image as a second page.
std::vector<extract::FieldExample> training_examples(const eval::Dataset& dataset, const TrainOptions& o) {
  std::unique_ptr<eval::Engine> engine;
  std::unique_ptr<eval::Engine> labels = eval::make_engine("labels", o.engine_options);
  std::optional<eval::OcrCache> cache;
  if (!o.ocr_cache.empty() && o.engine == "native") cache.emplace(o.ocr_cache);
  std::vector<extract::FieldExample> out;
  size_t done = 0, computed = 0;
  for (const auto& sample : dataset.samples) {
    if (sample.fields.empty()) continue;
    extract::FieldExample ex;
    ex.truth = sample.fields;
    ex.source = sample.id + " " + o.engine;
    ex.image = sample.id;
    std::optional<ocr::OcrResult> cached = cache ? cache->get(sample.id) : std::nullopt;
    if (cached) {
      ex.ocr = std::move(*cached);
      out.push_back(std::move(ex));
    } else if (!o.cached_only) {
      if (!engine) engine = eval::make_engine(o.engine, o.engine_options);
      // Trained on the cached form in both cases, so a run that computes the OCR and one that
      // reads it back from the cache build the same model.
      ex.ocr = eval::ocr_result_from_json(ocr::to_json(engine->run(sample)), sample.id);
      ++computed;
      if (cache) cache->put(sample.id, ex.ocr);
      out.push_back(std::move(ex));
    }
    if (o.with_labels && sample.has_lines && o.engine != "labels") out.push_back({labels->run(sample), sample.fields, sample.id + " labels", sample.id});
    if (++done % 50 == 0 || done == dataset.samples.size())
      std::cerr << "fields train: " << done << "/" << dataset.samples.size() << " pages read (" << computed
                << " by OCR)\n";
  }
  if (out.empty()) throw std::runtime_error("no image in " + dataset.root.string() + " has field labels");
  return out;
}

void print_report(const std::string& title, const extract::FieldTrainReport& r, std::ostream& os) {
  os << title << "\n| field | pages | reachable % | right % |\n|---|---|---|---|\n";
  for (const auto& name : extract::FieldModel::field_names()) {
    int pages = r.pages.count(name) ? r.pages.at(name) : 0;
    auto pct = [&](const std::map<std::string, int>& m) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(1) << (pages ? 100.0 * (m.count(name) ? m.at(name) : 0) / pages : 0.0);
      return s.str();
    };
    os << "| " << name << " | " << pages << " | " << pct(r.reachable) << " | " << pct(r.right) << " |\n";
  }
}

// One held-out page's wrong pick, with the candidate closest to the label: tells reading
// errors (close but not equal), span and convention errors, and wrong choices apart.
void write_miss(std::ostream& os, const extract::FieldModel& model, const extract::FieldExample& ex,
                const extract::Layout& layout,
                const extract::ReceiptAnalysis& rules, const std::string& name, const std::string& picked) {
  const std::string truth_key = extract::field_match_key(ex.truth.at(name));
  const auto truth32 = extract::to_u32(truth_key);
  std::string closest;
  size_t best = std::string::npos;
  for (const auto& value : model.candidate_values(layout, rules, name)) {
    size_t d = eval::edit_distance(truth32, extract::to_u32(extract::field_match_key(value)));
    if (d < best) best = d, closest = value;
  }
  auto clean = [](std::string v) {
    std::replace(v.begin(), v.end(), '\t', ' ');
    return v;
  };
  os << ex.source << '\t' << name << '\t' << (best == 0 ? "reachable" : "unreachable") << '\t' << best << '\t'
     << clean(ex.truth.at(name)) << '\t' << clean(picked) << '\t' << clean(closest) << '\n';
}

// K-fold estimate on the training folder itself (the pages of every K-th image are held out
// together, so an image's labelled lines never teach the fold that scores its OCR): for
// choosing settings without touching the evaluation sets. With `misses`, every wrong pick.
extract::FieldTrainReport cross_validate(const std::vector<extract::FieldExample>& examples, const TrainOptions& o,
                                         const extract::FieldModel* base, std::ostream* misses) {
  std::map<std::string, size_t> ordinal;
  for (const auto& ex : examples) ordinal.emplace(ex.image, ordinal.size());
  extract::FieldTrainReport total;
  if (misses) *misses << "page\tfield\tlabel_among_candidates\tclosest_distance\tlabel\tpicked\tclosest\n";
  for (int k = 0; k < o.folds; ++k) {
    std::vector<extract::FieldExample> train, held;
    for (const auto& ex : examples)
      (static_cast<int>(ordinal.at(ex.image) % static_cast<size_t>(o.folds)) == k ? held : train).push_back(ex);
    auto model = extract::FieldModel::train(train, o.train, base);
    for (const auto& ex : held) {
      auto layout = extract::build_layout(ex.ocr);
      auto rules = extract::analyze_receipt(layout);
      auto predicted = model.predict(layout, rules);
      for (const auto& name : extract::FieldModel::field_names()) {
        auto truth = ex.truth.find(name);
        if (truth == ex.truth.end() || extract::trim(truth->second).empty()) continue;
        ++total.pages[name];
        const std::string truth_key = extract::field_match_key(truth->second);
        const auto values = model.candidate_values(layout, rules, name);
        if (std::any_of(values.begin(), values.end(),
                        [&](const std::string& v) { return extract::field_match_key(v) == truth_key; }))
          ++total.reachable[name];
        auto it = predicted.find(name);
        std::string picked = it == predicted.end() ? std::string() : it->second.value;
        if (extract::field_match_key(picked) == extract::field_match_key(truth->second)) ++total.right[name];
        else if (misses) write_miss(*misses, model, ex, layout, rules, name, picked);
      }
    }
    std::cerr << "fields train: fold " << k + 1 << "/" << o.folds << " done\n";
  }
  return total;
}

int run_train(const TrainOptions& o) {
  auto dataset = eval::load_dataset(o.dataset, o.limit);
  std::optional<extract::FieldModel> base;
  if (!o.base.empty()) base = extract::FieldModel::load(o.base);
  auto examples = training_examples(dataset, o);
  if (o.folds >= 2) {
    std::ofstream misses;
    if (!o.misses.empty()) {
      misses.open(o.misses);
      if (!misses) throw std::runtime_error("cannot write " + o.misses.string());
    }
    print_report("cross-validated (" + std::to_string(o.folds) + " folds, right = picked on held-out pages)",
                 cross_validate(examples, o, base ? &*base : nullptr, o.misses.empty() ? nullptr : &misses),
                 std::cout);
  }
  extract::FieldTrainReport report;
  auto model = extract::FieldModel::train(examples, o.train, base ? &*base : nullptr, &report);
  model.save(o.out);
  print_report("training pages (" + std::to_string(examples.size()) + ")", report, std::cout);
  // Provenance beside the model: how to make it again and from what.
  nlohmann::json info = {
      {"command", o.command_line},
      {"dataset", o.dataset.string()},
      {"data_sha256", data_hash(dataset)},
      {"images", dataset.samples.size()},
      {"training_pages", examples.size()},
      {"engine", o.engine},
      {"with_labels", o.with_labels},
      {"cached_only", o.cached_only},
      {"base", o.base.string()},
      {"boosting",
       {{"rounds", o.train.boosting.rounds},
        {"max_depth", o.train.boosting.max_depth},
        {"learning_rate", o.train.boosting.learning_rate}}}};
  for (const auto& name : extract::FieldModel::field_names())
    info["training_pages_reachable"][name] = report.reachable.count(name) ? report.reachable.at(name) : 0;
  auto info_path = o.out;
  info_path += ".json";
  std::ofstream(info_path) << info.dump(2) << "\n";
  std::cout << "model: " << o.out.string() << " (" << std::filesystem::file_size(o.out) << " bytes)\n"
            << "provenance: " << info_path.string() << "\n";
  return 0;
}

}  // namespace

void register_fields_command(CLI::App& app, int& exit_code) {
  CLI::App* fields = app.add_subcommand("fields", "Learned receipt field extraction (company, date, address, total)");
  fields->require_subcommand(1);
  auto o = std::make_shared<TrainOptions>();
  if (const char* env = std::getenv("EDGEOCR_MODEL_PATH"); env && *env) o->engine_options.model_dir = env;
  CLI::App* train = fields->add_subcommand(
      "train", "Train a field model on a labelled folder (SROIE img/ box/ key/, or images with same-name .json)");
  train->add_option("--dataset", o->dataset, "Labelled folder")->required();
  train->add_option("--out", o->out, "Model file to write (provenance goes to MODEL.json)")->required();
  train->add_option("--base", o->base, "Continue from this model (adapt a general model to a shop's receipts)");
  train->add_option("--ocr-cache", o->ocr_cache,
                    "Folder of OCR results (<id>.json): used where present, filled where missing");
  train->add_option("--engine", o->engine, "Where the training lines come from: native (the OCR) or labels")
      ->check(CLI::IsMember({"native", "labels"}))
      ->capture_default_str();
  train->add_flag("--with-labels", o->with_labels, "Also train on each image's labelled lines (perfect reading)");
  train->add_flag("--cached-only", o->cached_only,
                  "Run no OCR: images without a cached result are left out (their labelled lines still count "
                  "with --with-labels)");
  train->add_option("--folds", o->folds, "Also print a K-fold cross-validated estimate (K >= 2)")
      ->check(CLI::Range(0, 50));
  train->add_option("--misses", o->misses,
                    "With --folds: write every held-out wrong pick (label, pick, closest candidate) as TSV");
  train->add_option("--rounds", o->train.boosting.rounds, "Boosting rounds per field")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  train->add_option("--depth", o->train.boosting.max_depth, "Tree depth")->check(CLI::Range(1, 12))->capture_default_str();
  train->add_option("--learning-rate", o->train.boosting.learning_rate, "Shrinkage")
      ->check(CLI::Range(0.001, 1.0))
      ->capture_default_str();
  train->add_option("--limit", o->limit, "Only the first N images (sorted by name)");
  train->add_option("--model-path", o->engine_options.model_dir, "PP-OCR model folder (env EDGEOCR_MODEL_PATH)")
      ->capture_default_str();
  train->add_option("--threads", o->engine_options.threads, "Threads for the OCR")->check(CLI::Range(1, 256));
  train->callback([o, &exit_code] {
    std::string line = "edgeocr fields train";
    for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
             {"--dataset", o->dataset.string()}, {"--out", o->out.string()}, {"--base", o->base.string()},
             {"--ocr-cache", o->ocr_cache.string()}, {"--engine", o->engine},
             {"--rounds", std::to_string(o->train.boosting.rounds)},
             {"--depth", std::to_string(o->train.boosting.max_depth)},
             {"--learning-rate", (std::ostringstream() << o->train.boosting.learning_rate).str()}})
      if (!value.empty()) line += " " + flag + " " + value;
    if (o->with_labels) line += " --with-labels";
    if (o->cached_only) line += " --cached-only";
    if (o->limit) line += " --limit " + std::to_string(o->limit);
    o->command_line = line;
    exit_code = run_train(*o);
  });
}

}  // namespace edgeocr::cli
