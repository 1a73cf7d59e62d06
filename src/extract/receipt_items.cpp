// The item rows of a receipt and the cross-checks between items and amounts.
#include <algorithm>
#include <cmath>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

// The first item row: below a column header ("QTY DESC PRICE AMOUNT"), else below the address,
// date and company; 0 when none of them is found.
int first_item_row(const ReceiptPage& page, const FieldMap& fields) {
  const Layout& layout = page.layout;
  for (size_t r = 0; r < layout.rows.size(); ++r) {
    std::string u = to_upper_ascii(layout.row_text(static_cast<int>(r)));
    int hits = 0;
    for (auto k : {"QTY", "DESC", "DESCRIPTION", "ITEM", "PRICE", "AMOUNT", "AMT", "U.PRICE",
                   "品名", "商品", "数量", "单价", "金额", "名称"})
      hits += has_key(u, k);
    if (hits >= 2) return static_cast<int>(r) + 1;
  }
  int first_row = 0;
  for (const char* name : {"address", "date", "company"})
    if (auto it = fields.find(name); it != fields.end()) {
      for (const auto& line : page.lines)
        if (line.index == it->second.line_indices.back()) first_row = std::max(first_row, line.row + 1);
    }
  return first_row;
}

// Items end at the first row of the subtotal, total or tax.
int end_item_row(const ReceiptPage& page, const Amounts& amounts) {
  int last_row = static_cast<int>(page.layout.rows.size());
  for (const auto* hit : {&amounts.subtotal, &amounts.total, &amounts.tax})
    if (*hit) last_row = std::min(last_row, page.lines[static_cast<size_t>((*hit)->positions[0])].row);
  return last_row;
}

// A quantity printed at the end of the name ("COKE 2 x") moves into the item.
void take_trailing_quantity(std::string& name, Item& item) {
  static const std::regex kTrailingQty(R"(\s+\d{1,3}\s*[xX×*]?\s*$)");
  std::smatch qm;
  if (item.quantity || !std::regex_search(name, qm, kTrailingQty)) return;
  std::string q = qm.str(0);
  q.erase(std::remove_if(q.begin(), q.end(), [](char c) { return c < '0' || c > '9'; }), q.end());
  item.quantity = std::stod(q);
  name = trim(name.substr(0, static_cast<size_t>(qm.position(0))));
}

// Fills `item`'s location and confidence from its lines; qty x price = amount raises it.
void locate_item(const Layout& layout, const std::vector<int>& positions, Item& item) {
  Field lines = make_field(layout, "item", ValueType::text, positions, 0.8);
  item.raw = lines.raw;
  item.box = lines.box;
  item.line_indices = lines.line_indices;
  item.confidence = lines.confidence;
  if (item.quantity && item.unit_price && item.amount) {
    bool ok = std::abs(*item.quantity * *item.unit_price - *item.amount) < 0.011;
    item.confidence = std::clamp(item.confidence + (ok ? 0.15 : -0.2), 0.0, 1.0);
  }
}

}  // namespace

std::vector<Item> find_items(const ReceiptPage& page, const FieldMap& fields, const Amounts& amounts) {
  const Layout& layout = page.layout;
  std::vector<Item> items;
  // A name-only row goes with the next row that has an amount but no name of its own.
  std::string pending_name;
  std::vector<int> pending_positions;
  for (int r = first_item_row(page, fields), last = end_item_row(page, amounts); r < last; ++r) {
    std::string text = layout.row_text(r);
    std::string u = to_upper_ascii(text);
    if (has_any(u, {"TOTAL", "合计", "CASH", "CHANGE", "GST", "TAX", "ROUNDING", "DISCOUNT",
                    "找零", "现金"}))
      continue;
    auto moneys = find_money(text);
    const auto& row = layout.rows[static_cast<size_t>(r)];
    if (moneys.empty()) {
      if (mostly_letters(text)) {
        pending_name = text;
        pending_positions.assign(row.begin(), row.end());
      }
      continue;
    }
    Item item;
    item.amount = moneys.back().amount;
    auto qp = find_quantity_price(text);
    if (qp) {
      item.quantity = qp->quantity;
      item.unit_price = qp->unit_price;
    } else if (moneys.size() >= 2) {
      item.unit_price = moneys[moneys.size() - 2].amount;
    }
    // The name is the text before the first number of the row.
    size_t cut = std::min(moneys.front().span.begin, qp ? qp->span.begin : std::string::npos);
    std::string name = trim(text.substr(0, cut));
    take_trailing_quantity(name, item);
    std::vector<int> positions(row.begin(), row.end());
    if (!mostly_letters(name) && !pending_name.empty()) {
      name = pending_name;
      positions.insert(positions.end(), pending_positions.begin(), pending_positions.end());
    }
    pending_name.clear();
    pending_positions.clear();
    if (name.empty()) continue;
    item.name = name;
    locate_item(layout, positions, item);
    items.push_back(std::move(item));
  }
  return items;
}

Field items_field(const std::vector<Item>& items) {
  Field f;
  f.name = "items";
  f.found = true;
  f.value = f.display = std::to_string(items.size()) + " items";
  double conf = 0;
  for (const auto& it : items) {
    conf += it.confidence;
    f.line_indices.insert(f.line_indices.end(), it.line_indices.begin(), it.line_indices.end());
  }
  f.confidence = conf / static_cast<double>(items.size());
  return f;
}

std::vector<Check> cross_check(const std::vector<Item>& items, FieldMap& fields) {
  std::vector<Check> checks;
  auto adjust = [&](const char* name, bool passed) {
    if (auto it = fields.find(name); it != fields.end())
      it->second.confidence = std::clamp(it->second.confidence + (passed ? 0.15 : -0.25), 0.0, 1.0);
  };
  auto amount = [&](const char* name) -> std::optional<double> {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return std::stod(it->second.normalized);
  };
  double items_sum = 0;
  for (const auto& it : items) items_sum += it.amount.value_or(0);
  auto sub = amount("subtotal"), tot = amount("total"), tx = amount("tax");
  if (!items.empty() && (sub || tot)) {
    double target = sub ? *sub : *tot;
    // A total may include rounding to 0.05 and tax; accept either exact or within rounding.
    bool passed = std::abs(items_sum - target) < 0.011 ||
                  (!sub && tx && std::abs(items_sum + *tx - target) < 0.051) ||
                  (!sub && std::abs(items_sum - target) < 0.051);
    checks.push_back({sub ? "items_sum_vs_subtotal" : "items_sum_vs_total", passed,
                      two_decimals(items_sum) + " vs " + two_decimals(target)});
    adjust(sub ? "subtotal" : "total", passed);
    adjust("items", passed);
  }
  if (sub && tx && tot) {
    bool passed = std::abs(*sub + *tx - *tot) < 0.051;
    checks.push_back({"subtotal_plus_tax_vs_total", passed,
                      two_decimals(*sub) + " + " + two_decimals(*tx) + " = " + two_decimals(*sub + *tx) +
                          " vs " + two_decimals(*tot)});
    adjust("total", passed);
    adjust("tax", passed);
  } else if (sub && tot) {
    bool passed = *tot + 0.051 >= *sub;
    checks.push_back({"subtotal_not_above_total", passed, two_decimals(*sub) + " <= " + two_decimals(*tot)});
    adjust("total", passed);
  }
  return checks;
}

}  // namespace edgeocr::extract
