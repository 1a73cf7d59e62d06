// Scoring for `edgeocr eval`: one-to-one line matching by IoU, CER, exact lines, field P/R/F1,
// timing percentiles.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/dataset.h"
#include "extract/extract.h"
#include "ocr/types.h"

namespace edgeocr::eval {

double quad_area(const ocr::Quad& q);
double quad_iou(const ocr::Quad& a, const ocr::Quad& b);  // polygon IoU of two convex quads

struct LineMatch {
  size_t pred = 0, label = 0;
  double iou = 0;
};
// Greedy one-to-one matching, highest IoU first, pairs below `min_iou` dropped.
std::vector<LineMatch> match_lines(const std::vector<ocr::Quad>& predicted,
                                   const std::vector<ocr::Quad>& labelled, double min_iou = 0.5);

size_t edit_distance(std::u32string_view a, std::u32string_view b);  // Levenshtein
std::string normalize_field(std::string_view value);  // trim + collapse runs of spaces

struct Counts {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double f1() const {
    double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

// The characters of `text` as an order-free multiset for char P/R/F1: whitespace dropped,
// full-width ASCII folded to ASCII, Latin letters upper-cased, Arabic tashkeel dropped,
// alif maqsura read as ya (the conventions of the shared labels) and Arabic letters typed with a
// combining hamza or madda composed (أ typed as ا + U+0654 is أ).
std::u32string char_bag(std::string_view text);
// The label conventions char_bag follows, for ordered comparisons (line CER): Arabic tashkeel
// dropped, alif maqsura read as ya, hamza and madda composed, runs of whitespace as one space,
// ends trimmed.
std::u32string normalized_transcript(std::string_view text);
// The language group of a sample id: the part before the first '_' ("ar_newspaper_21" -> "ar"),
// "" when there is none.
std::string language_group(std::string_view id);
// Characters of `got` that match one of `want` (bags from char_bag, any order).
size_t char_bag_overlap(std::u32string got, std::u32string want);

struct Example {
  std::string image, what, expected, got;
};

// Accumulates the metrics of one engine over a dataset.
class EngineStats {
 public:
  explicit EngineStats(std::string engine) : engine_(std::move(engine)) {}

  // `extraction` may be null when the sample has no field labels.
  void add(const Sample& sample, const ocr::OcrResult& ocr,
           const extract::ExtractionResult* extraction, double seconds);
  void add_failure(const Sample& sample, const std::string& error);
  void set_peak_rss_kb(long kb) { peak_rss_kb_ = kb; }

  const std::string& engine() const { return engine_; }
  const Counts& detection() const { return det_; }
  double cer() const { return cer_chars_ ? double(cer_edits_) / double(cer_chars_) : 0; }
  double exact_line_accuracy() const { return matched_ ? double(exact_) / double(matched_) : 0; }
  // The same with letters case-folded: SROIE transcribes everything in upper case, so a reader
  // that returns the printed "Cash" is charged 3 edits by the strict figures.
  double cer_case_insensitive() const { return cer_chars_ ? double(ci_edits_) / double(cer_chars_) : 0; }
  double exact_line_accuracy_case_insensitive() const {
    return matched_ ? double(ci_exact_) / double(matched_) : 0;
  }
  // Order-free characters of the whole page against all its labelled text (see char_bag).
  const Counts& chars() const { return chars_; }
  // The same per language group of the sample ids (language_group), when ids carry one.
  const std::map<std::string, Counts>& chars_by_group() const { return chars_by_group_; }
  const std::map<std::string, Counts>& fields() const { return fields_; }
  Counts fields_overall() const;
  // Fields compared with letters case-folded ("05 Mar 2018" matches SROIE's "05 MAR 2018").
  const Counts& fields_overall_case_insensitive() const { return fields_ci_; }
  double seconds_percentile(double p) const;
  // Time spent in field extraction alone, per image (not part of seconds_percentile).
  void add_extract_seconds(double seconds) { extract_seconds_.push_back(seconds); }
  double extract_seconds_percentile(double p) const;
  long peak_rss_kb() const { return peak_rss_kb_; }
  size_t images() const { return images_; }
  size_t failures() const { return failures_.size(); }

  nlohmann::json to_json() const;
  static EngineStats from_json(const nlohmann::json& j);  // for results computed in a child

 private:
  // One labelled line against its reading: CER (exact and case-folded) and exact-line counts.
  void add_line_reading(const std::string& id, const std::string& want, const std::string& got);
  std::string engine_;
  size_t images_ = 0, matched_ = 0, exact_ = 0, cer_edits_ = 0, cer_chars_ = 0, ci_edits_ = 0, ci_exact_ = 0;
  Counts det_, chars_;
  std::map<std::string, Counts> chars_by_group_;
  std::map<std::string, Counts> fields_;
  Counts fields_ci_;
  std::vector<double> seconds_, extract_seconds_;
  long peak_rss_kb_ = 0;
  std::vector<Example> field_errors_, line_errors_, failures_;
};

// The side-by-side table printed by `edgeocr eval`.
std::string format_table(const std::vector<EngineStats>& engines);

}  // namespace edgeocr::eval
