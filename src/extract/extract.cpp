#include "extract/extract.h"

#include "extract/instruction.h"
#include "extract/layout.h"
#include "extract/learned_fields.h"
#include "extract/receipt.h"
#include "extract/values.h"

namespace edgeocr::extract {

std::string_view to_string(ValueType type) {
  switch (type) {
    case ValueType::text: return "text";
    case ValueType::money: return "money";
    case ValueType::date: return "date";
    case ValueType::time: return "time";
    case ValueType::phone: return "phone";
    case ValueType::tax_id: return "tax_id";
    case ValueType::number: return "number";
  }
  return "text";
}

const Field* ExtractionResult::find(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

// A Chinese page: CJK characters make up a quarter or more of its letters. The learned model
// knows Latin-script receipts; on Chinese ones the rules answer.
bool mostly_cjk(const std::string& text) {
  size_t cjk = 0, latin = 0;
  for (char32_t c : to_u32(text)) {
    if (c >= 0x3000) ++cjk;
    else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ++latin;
  }
  return cjk > 0 && cjk * 3 >= latin;
}

}  // namespace

std::vector<std::string> resolve_fields(const ExtractRequest& request) {
  std::vector<std::string> names;
  for (auto& spec : resolve_specs(request)) names.push_back(spec.name);
  return names;
}

ExtractionResult extract(const ocr::OcrResult& ocr, const ExtractRequest& request) {
  auto specs = resolve_specs(request);
  ExtractionResult result;
  if (!request.schema.empty()) result.schema = "receipt";
  Layout layout = build_layout(ocr);
  ReceiptAnalysis receipt = analyze_receipt(layout);
  if (request.fields_model && !mostly_cjk(ocr.text)) {
    for (auto& [name, field] : request.fields_model->predict(layout, receipt)) receipt.fields[name] = std::move(field);
  }
  bool wants_items = false;
  for (const auto& spec : specs) {
    Field field;
    if (spec.canonical.empty()) {
      field = find_labelled_value(layout, spec.name, spec.key_texts);
    } else if (auto it = receipt.fields.find(spec.canonical); it != receipt.fields.end()) {
      field = it->second;
    } else {
      field.type = spec.canonical == "date"  ? ValueType::date
                   : spec.canonical == "time" ? ValueType::time
                   : spec.canonical == "phone" ? ValueType::phone
                   : spec.canonical == "tax_id" ? ValueType::tax_id
                   : (spec.canonical == "total" || spec.canonical == "subtotal" ||
                      spec.canonical == "tax")
                       ? ValueType::money
                       : ValueType::text;
    }
    field.name = spec.name;
    wants_items = wants_items || spec.canonical == "items";
    result.fields.push_back(std::move(field));
  }
  if (wants_items) result.items = std::move(receipt.items);
  if (!result.schema.empty() || wants_items) result.checks = std::move(receipt.checks);
  return result;
}

namespace {

// JSON strings must be valid UTF-8; OCR text normally is, but a bad byte must not make the
// caller's dump() throw. Invalid sequences become U+FFFD.
std::string clean(const std::string& s) { return to_utf8(to_u32(s)); }

nlohmann::json box_json(const ocr::Quad& box) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : box) out.push_back({p.x, p.y});
  return out;
}

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const ExtractionResult& result) {
  nlohmann::json out;
  out["schema"] = result.schema.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.schema);
  out["fields"] = nlohmann::json::object();
  out["details"] = nlohmann::json::object();
  for (const auto& f : result.fields) {
    out["fields"][clean(f.name)] = f.found ? nlohmann::json(clean(f.display)) : nlohmann::json(nullptr);
    nlohmann::json d;
    d["found"] = f.found;
    d["type"] = std::string(to_string(f.type));
    if (f.found) {
      d["value"] = clean(f.value);
      d["normalized"] = clean(f.normalized);
      if (!f.currency.empty()) d["currency"] = f.currency;
      d["raw"] = clean(f.raw);
      d["box"] = box_json(f.box);
      d["lines"] = f.line_indices;
      d["confidence"] = f.confidence;
    }
    out["details"][clean(f.name)] = d;
  }
  if (result.find("items") || !result.items.empty()) {
    out["items"] = nlohmann::json::array();
    for (const auto& it : result.items)
      out["items"].push_back({{"name", clean(it.name)},
                              {"quantity", optional_number(it.quantity)},
                              {"unit_price", optional_number(it.unit_price)},
                              {"amount", optional_number(it.amount)},
                              {"raw", clean(it.raw)},
                              {"box", box_json(it.box)},
                              {"confidence", it.confidence}});
  }
  out["checks"] = nlohmann::json::array();
  for (const auto& c : result.checks)
    out["checks"].push_back({{"name", c.name}, {"passed", c.passed}, {"detail", clean(c.detail)}});
  return out;
}

nlohmann::json to_json(const UnsupportedInstruction& error) {
  return {{"error", {{"code", std::string(UnsupportedInstruction::code())}, {"message", clean(error.what())}}}};
}

}  // namespace edgeocr::extract
