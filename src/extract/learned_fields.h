// Learned receipt fields (company, date, address, total): every field's candidate values on a
// page (a line span for names and addresses, a date or amount inside a line) are scored by
// boosted trees over features that carry across shops: position on the page and against the
// other lines, text height, alignment, neighbours, character classes, money/date/postcode/phone
// and company-suffix cues, and the rules' own guesses. The best candidate of each field wins.
//
//   FieldModel model = FieldModel::load("fields/receipt-sroie.model");
//   auto fields = model.predict(layout, analyze_receipt(layout));   // by field name
//
//   std::vector<FieldExample> examples = ...;   // OCR results with their true field values
//   FieldModel trained = FieldModel::train(examples, {}, /*base=*/nullptr);
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "extract/boosted_trees.h"
#include "extract/extract.h"
#include "extract/layout.h"
#include "extract/lexicon.h"
#include "extract/receipt.h"

namespace edgeocr::extract {

// One training page: its OCR and the true values ("company" -> "SAM SAM TRADING CO").
struct FieldExample {
  ocr::OcrResult ocr;
  std::map<std::string, std::string> truth;
  std::string source;  // where the page came from, for reports ("001 ocr", "001 labels")
  std::string image;   // pages of one image (its OCR, its labelled lines) share it; empty: a page alone
};

struct FieldTrainOptions {
  BoostingParams boosting;
};

// Per field: how many training pages have a candidate equal to the truth (what a perfect
// scorer could get) and how many the trained model picks right on its own training pages.
struct FieldTrainReport {
  std::map<std::string, int> pages, reachable, right;
};

class FieldModel {
 public:
  // The fields a model predicts, in output order.
  static const std::vector<std::string>& field_names();

  // Trains one tree ensemble per field. With `base`, boosting continues from its trees (same
  // feature layout), so a few labelled pages of a shop adapt a general model to it. A field
  // without a single right candidate in `examples` is not trained (the rules answer it).
  static FieldModel train(const std::vector<FieldExample>& examples, const FieldTrainOptions& options,
                          const FieldModel* base, FieldTrainReport* report = nullptr);

  // The best candidate per field (absent when a field has no candidate on the page).
  std::map<std::string, Field> predict(const Layout& layout, const ReceiptAnalysis& rules) const;

  // Every value the model chooses among for `field` on a page (for error analysis).
  std::vector<std::string> candidate_values(const Layout& layout, const ReceiptAnalysis& rules,
                                            const std::string& field) const;

  void save(const std::filesystem::path& path) const;
  static FieldModel load(const std::filesystem::path& path);  // throws std::runtime_error

 private:
  std::map<std::string, BoostedTrees> trees_;
  Lexicon lexicon_;  // words of the training labels: repairs how names and addresses were read
  std::map<std::string, KnownValues> known_;  // labelled names and addresses, by field
};

// Values compare equal for training and scoring when they match case-folded after trimming and
// collapsing runs of spaces (the eval's case-insensitive field match).
std::string field_match_key(const std::string& value);

}  // namespace edgeocr::extract
