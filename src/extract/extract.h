// Structured extraction from OCR lines: the built-in `receipt` schema, explicit field lists and
// natural-language instructions (Chinese or English). Works purely on an ocr::OcrResult, so it
// needs no models and is cheap (microseconds to a few milliseconds per page).
//
//   ExtractRequest req;  req.instruction = "提取日期和总金额";
//   ExtractionResult r = extract(ocr_result, req);     // may throw UnsupportedInstruction
//   nlohmann::json j = to_json(r);                      // {"fields":{"date":..,"total_amount":..},...}
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ocr/types.h"

namespace edgeocr::extract {

class FieldModel;  // extract/learned_fields.h

// What the caller asks for. At least one of schema / instruction / fields must be set; when
// several are, the union of their fields is extracted (schema fields first).
struct ExtractRequest {
  std::string schema;               // "" or "receipt"
  std::string instruction;          // e.g. "请提取总金额", "extract the date and total amount"
  std::vector<std::string> fields;  // e.g. {"total_amount","date","tax"} or custom keys {"发票号码"}
  // When set, the receipt fields it knows (company, date, address, total) come from this learned
  // model instead of the rules, except on Chinese pages, where the rules answer.
  std::shared_ptr<const FieldModel> fields_model;

  bool empty() const { return schema.empty() && instruction.empty() && fields.empty(); }
};

enum class ValueType { text, money, date, time, phone, tax_id, number };
std::string_view to_string(ValueType type);

// One extracted field. `value` is the text as printed on the document (trimmed, without the key
// and, for money, without the currency), which is what exact-match benchmarks like SROIE compare.
struct Field {
  std::string name;          // the name the caller asked for ("total_amount", "发票号码", "total")
  ValueType type = ValueType::text;
  bool found = false;
  std::string value;         // as printed: "14.10", "29-12-2017", "SAM SAM TRADING CO"
  std::string display;       // value for people/JSON: money with its printed currency ("¥36.8")
  std::string normalized;    // typed: money "36.80", date "2026-01-15", time "14:05:00", phone digits
  std::string currency;      // money only: ISO code when known ("CNY", "MYR", "USD", "EUR")
  std::string raw;           // the full source line text(s)
  ocr::Quad box{};           // source line box (union when the value spans several lines)
  std::vector<int> line_indices;  // indices into OcrResult::lines
  double confidence = 0;     // 0..1: OCR confidence x match quality, moved by cross-checks
};

struct Item {
  std::string name;
  std::optional<double> quantity, unit_price, amount;
  std::string raw;
  ocr::Quad box{};
  std::vector<int> line_indices;
  double confidence = 0;
};

// A consistency check between fields (items sum vs subtotal, subtotal + tax vs total, ...).
struct Check {
  std::string name;     // "items_sum_vs_subtotal", "subtotal_plus_tax_vs_total", "qty_x_price"
  bool passed = false;
  std::string detail;   // "12.50 + 0.75 = 13.25 vs total 13.25"
};

struct ExtractionResult {
  std::string schema;                // "receipt" or ""
  std::vector<Field> fields;         // one per requested field, in request order (found or not)
  std::vector<Item> items;           // receipt schema only
  std::vector<Check> checks;

  const Field* find(std::string_view name) const;  // nullptr if not requested
};

// The native extractor cannot answer the instruction (translation, free-form questions, ...).
// code() is "unsupported_instruction"; what() names the VLM backend as the way to answer it.
class UnsupportedInstruction : public std::runtime_error {
 public:
  explicit UnsupportedInstruction(const std::string& instruction);
  static constexpr std::string_view code() { return "unsupported_instruction"; }
  const std::string& instruction() const { return instruction_; }

 private:
  std::string instruction_;
};

// Bad request (unknown schema, empty request). what() is one clear line.
class InvalidRequest : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The field names a request resolves to, without looking at any document. Throws
// UnsupportedInstruction / InvalidRequest. Lets a router (hybrid VLM backend) decide up front.
std::vector<std::string> resolve_fields(const ExtractRequest& request);

// Runs the request on one OCR result. Throws UnsupportedInstruction / InvalidRequest.
ExtractionResult extract(const ocr::OcrResult& ocr, const ExtractRequest& request);

// {"schema": "receipt"|null,
//  "fields": {"<name>": "<display>"|null, ...},
//  "details": {"<name>": {"type","value","normalized","currency","raw","box":[[x,y]x4],
//                         "confidence","found"}, ...},
//  "items": [{"name","quantity","unit_price","amount","raw","box","confidence"}],   (receipt)
//  "checks": [{"name","passed","detail"}]}
nlohmann::json to_json(const ExtractionResult& result);

// {"error": {"code": "unsupported_instruction", "message": ...}} for API/CLI error bodies.
nlohmann::json to_json(const UnsupportedInstruction& error);

}  // namespace edgeocr::extract
