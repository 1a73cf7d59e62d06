// Fields the receipt rules read from single lines: date, time, phone number and tax id.
#include <algorithm>
#include <cctype>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

// A date line is labelled when it or another line of its row carries a date label.
bool date_labelled(const ReceiptPage& page, size_t p) {
  const auto& row = page.layout.rows[static_cast<size_t>(page.lines[p].row)];
  return has_any(page.upper[p], {"DATE", "日期", "DATED"}) ||
         std::any_of(row.begin(), row.end(), [&](int q) {
           return has_any(page.upper[static_cast<size_t>(q)], {"DATE", "日期"});
         });
}

bool spelled_out(const Date& date) {
  return std::any_of(date.printed.begin(), date.printed.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

bool numeric_date_after(const ReceiptPage& page, size_t p) {
  for (size_t q = p + 1; q < page.lines.size(); ++q)
    if (auto d = find_date(page.lines[q].text); d && !spelled_out(*d)) return true;
  return false;
}

}  // namespace

std::optional<DateFind> find_date_field(const ReceiptPage& page) {
  // A labelled date first, then any date.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t p = 0; p < page.lines.size(); ++p) {
      bool labelled = date_labelled(page, p);
      if (pass == 0 && !labelled) continue;
      auto d = find_date(page.lines[p].text);
      if (!d) continue;
      // Unlabelled: a numeric date wins over a spelled-out one printed earlier ("27 MARCH, 2018").
      if (pass == 1 && spelled_out(*d) && numeric_date_after(page, p)) continue;
      DateFind found;
      found.position = static_cast<int>(p);
      found.field = make_field(page.layout, "date", ValueType::date, {found.position}, labelled ? 1.0 : 0.85);
      found.field.value = d->printed;
      found.field.display = d->printed;
      found.field.normalized = d->iso;
      return found;
    }
  }
  return std::nullopt;
}

std::optional<Field> find_time_field(const ReceiptPage& page, int date_position) {
  // The date's line first, then lines labelled with a time, then every line.
  std::vector<size_t> order;
  if (date_position >= 0) order.push_back(static_cast<size_t>(date_position));
  for (size_t p = 0; p < page.lines.size(); ++p)
    if (has_any(page.upper[p], {"TIME", "时间"})) order.push_back(p);
  for (size_t p = 0; p < page.lines.size(); ++p) order.push_back(p);
  for (size_t p : order) {
    std::string text = page.lines[p].text;
    // Do not read the date's digits as a clock.
    if (auto d = find_date(text)) text.replace(d->span.begin, d->span.end - d->span.begin,
                                                std::string(d->span.end - d->span.begin, ' '));
    if (auto t = find_time(text)) {
      Field f = make_field(page.layout, "time", ValueType::time, {static_cast<int>(p)}, 0.95);
      f.value = trim(t->printed);
      f.display = f.value;
      f.normalized = t->normalized;
      return f;
    }
  }
  return std::nullopt;
}

std::optional<Field> find_phone_field(const ReceiptPage& page) {
  for (size_t p = 0; p < page.lines.size(); ++p) {
    size_t end = 0;
    bool labelled = false;
    for (auto k : {"TEL", "PHONE", "T:", "H/P", "HP", "MOBILE", "电话", "手机", "联系电话", "TEL NO"}) {
      if (has_key(page.upper[p], k, &end)) {
        labelled = true;
        break;
      }
    }
    if (!labelled) continue;
    auto kv = find_value(page.layout, static_cast<int>(p), end,
                         [](const std::string& v) { return find_phone(v).has_value(); });
    if (!kv) continue;
    auto ph = find_phone(kv->value);
    Field f = make_field(page.layout, "phone", ValueType::phone, {static_cast<int>(p), kv->value_line}, 0.95);
    f.value = ph->printed;
    f.display = ph->printed;
    f.normalized = ph->normalized;
    return f;
  }
  return std::nullopt;
}

std::optional<Field> find_tax_id_field(const ReceiptPage& page) {
  const auto& lines = page.lines;
  for (size_t p = 0; p < lines.size(); ++p) {
    // The id may sit on the next line after a bare label ("GST REG NO:" / "000243941376").
    std::string text = lines[p].text;
    auto id = find_tax_id(text);
    int value_pos = static_cast<int>(p);
    if (!id && p + 1 < lines.size() &&
        has_any(page.upper[p], {"GST REG", "GST NO", "GST ID", "SST", "税号", "纳税人识别号"})) {
      id = find_tax_id(text + " " + lines[p + 1].text);
      value_pos = static_cast<int>(p + 1);
    }
    if (!id) continue;
    Field f = make_field(page.layout, "tax_id", ValueType::tax_id, {static_cast<int>(p), value_pos}, 0.95);
    f.value = id->value;
    f.display = id->value;
    f.normalized = to_upper_ascii(id->value);
    return f;
  }
  return std::nullopt;
}

}  // namespace edgeocr::extract
