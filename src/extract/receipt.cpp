// analyze_receipt: the receipt rules' stages in order, and the field helpers they share.
#include <algorithm>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

ocr::Quad union_box(const Layout& layout, const std::vector<int>& positions) {
  float l = 1e30f, t = 1e30f, r = -1e30f, b = -1e30f;
  for (int p : positions)
    for (const auto& pt : layout.lines[static_cast<size_t>(p)].box) {
      l = std::min(l, pt.x);
      t = std::min(t, pt.y);
      r = std::max(r, pt.x);
      b = std::max(b, pt.y);
    }
  if (positions.size() == 1) return layout.lines[static_cast<size_t>(positions[0])].box;
  return {ocr::Point{l, t}, ocr::Point{r, t}, ocr::Point{r, b}, ocr::Point{l, b}};
}

}  // namespace

Field make_field(const Layout& layout, std::string name, ValueType type, std::vector<int> positions,
                 double match_quality) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  f.found = true;
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  double conf = 0;
  for (int p : positions) {
    const auto& l = layout.lines[static_cast<size_t>(p)];
    if (!f.raw.empty()) f.raw += '\n';
    f.raw += l.text;
    f.line_indices.push_back(l.index);
    conf += l.confidence;
  }
  conf = positions.empty() ? 0 : conf / static_cast<double>(positions.size());
  f.confidence = std::clamp(conf * match_quality, 0.0, 1.0);
  f.box = union_box(layout, positions);
  return f;
}

Field find_labelled_value(const Layout& layout, const std::string& name,
                          const std::vector<std::string>& key_texts) {
  for (size_t p = 0; p < layout.lines.size(); ++p) {
    for (const auto& key : key_texts) {
      size_t end = 0;
      if (!has_key(layout.lines[p].text, key, &end)) continue;
      auto kv = find_value(layout, static_cast<int>(p), end, [](const std::string& v) {
        // A value has at least one letter or digit; a bare label such as "NO" is not one.
        return std::any_of(v.begin(), v.end(), [](char c) {
                 return (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
               }) || v.size() >= 4;
      });
      if (!kv) continue;
      Field f = make_field(layout, name, ValueType::text, {static_cast<int>(p), kv->value_line}, 0.9);
      f.value = kv->value;
      f.display = kv->value;
      f.normalized = collapse_spaces(kv->value);
      if (auto m = parse_money(kv->value)) {
        f.type = ValueType::money;
        set_money(f, *m);
      } else if (auto d = find_date(kv->value); d && d->printed == kv->value) {
        f.type = ValueType::date;
        f.normalized = d->iso;
      }
      return f;
    }
  }
  Field missing;
  missing.name = name;
  return missing;
}

ReceiptAnalysis analyze_receipt(const Layout& layout) {
  const ReceiptPage page(layout);
  ReceiptAnalysis out;
  const Amounts amounts = find_amounts(layout);
  add_amount_fields(layout, amounts, out.fields);
  int date_position = -1;
  if (auto date = find_date_field(page)) {
    date_position = date->position;
    out.fields["date"] = std::move(date->field);
  }
  auto put = [&](const char* name, std::optional<Field> field) {
    if (field) out.fields[name] = std::move(*field);
  };
  put("time", find_time_field(page, date_position));
  put("phone", find_phone_field(page));
  put("tax_id", find_tax_id_field(page));
  CompanyFind company = find_company(page);
  put("company", company.field);
  put("address", find_address(page, company));
  put("payment_method", find_payment_method(page));
  out.items = find_items(page, out.fields, amounts);
  if (!out.items.empty()) out.fields["items"] = items_field(out.items);
  // The cross-checks move the confidence of the amounts they involve.
  out.checks = cross_check(out.items, out.fields);
  return out;
}

}  // namespace edgeocr::extract
