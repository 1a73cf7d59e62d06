// The receipt header as the rules read it: the company's name and the address printed under it.
#include <algorithm>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

// Company lines [first, last] by position.
struct LineSpan {
  int first = -1, last = -1;
};

// A name after a merchant label ("商户名称: ...", "MERCHANT NAME ...").
std::optional<CompanyFind> labelled_company(const ReceiptPage& page) {
  for (size_t p = 0; p < page.lines.size(); ++p) {
    for (auto k : {"商户名称", "商家名称", "商户", "商家", "店名", "销售方名称", "MERCHANT NAME",
                   "STORE NAME", "SHOP NAME"}) {
      size_t end = 0;
      if (!has_key(page.upper[p], k, &end)) continue;
      auto kv = find_value(page.layout, static_cast<int>(p), end,
                           [](const std::string& v) { return v.size() >= 2; });
      if (!kv) continue;
      CompanyFind found;
      found.field = make_field(page.layout, "company", ValueType::text, {static_cast<int>(p), kv->value_line}, 0.95);
      found.field->value = found.field->display = found.field->normalized = kv->value;
      found.last_line = kv->value_line;
      return found;
    }
  }
  return std::nullopt;
}

// The header region: the lines above the first date, total or cashier line (at most 14).
size_t header_end(const ReceiptPage& page) {
  size_t end = std::min<size_t>(page.lines.size(), 14);
  for (size_t p = 0; p < end; ++p)
    if (find_date(page.lines[p].text) || has_any(page.upper[p], {"TOTAL", "CASHIER", "QTY"})) return p;
  return end;
}

// Where the printed address starts: a header line that opens with a house number, lot or street.
int find_address_start(const ReceiptPage& page, size_t header_end) {
  for (size_t p = 0; p < header_end; ++p) {
    const std::string& u = page.upper[p];
    if (registration_line(u) || header_noise(u) || stop_for_address(u) ||
        std::regex_search(u, strong_suffix_regex()))
      continue;
    if (std::regex_search(u, address_start_regex()) ||
        (contains_cjk(page.lines[p].text) && address_like(u) && has_any(u, {"路", "号", "街", "区"})))
      return static_cast<int>(p);
  }
  return -1;
}

// A legal owner printed under "OWNED BY :" is not the shop's name.
bool owner_line(const ReceiptPage& page, size_t p) {
  for (size_t q = p >= 2 ? p - 2 : 0; q < p; ++q)
    if (has_any(page.upper[q], {"OWNED BY", "DIMILIKI OLEH", "OPERATED BY"}) &&
        !std::regex_search(page.upper[q], strong_suffix_regex()))
      return true;
  return false;
}

// Grows a legal-entity line into the whole name broken over lines around it.
LineSpan grow_suffix_name(const ReceiptPage& page, int line, size_t header_end) {
  const auto& upper = page.upper;
  const std::regex& kStrongSuffix = strong_suffix_regex();
  LineSpan span{line, line};
  // An open parenthesis continues on the next line: "ENTERPRISE (SETIA" / "ALAM) SDN BHD".
  auto open_parens = [&](int from, int to) {
    int depth = 0;
    for (int q = from; q <= to; ++q)
      for (char c : upper[static_cast<size_t>(q)]) depth += (c == '(') - (c == ')');
    return depth;
  };
  while (span.last + 1 < static_cast<int>(header_end) && open_parens(span.first, span.last) > 0)
    ++span.last;
  // A name broken over lines: "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD".
  // Also a suffix line with at most one word before the suffix ("NING SDN. BHD.") or one
  // that opens with '&' ("& TEA LEAF (M) SDN. BHD.").
  static const std::regex kContinuation(
      R"(^(SDN|BHD|S/B|ENTERPRISE|TRADING|\(M\)|CO\b|&|[A-Z]*\)|[A-Z']+\s+(SDN|BHD|S/B|ENTERPRISE)\b))");
  while (span.first > 0 && std::regex_search(upper[static_cast<size_t>(span.first)], kContinuation) &&
         !std::regex_search(upper[static_cast<size_t>(span.first - 1)], kStrongSuffix) &&
         mostly_letters(page.lines[static_cast<size_t>(span.first - 1)].text) &&
         !header_noise(upper[static_cast<size_t>(span.first - 1)]))
    --span.first;
  // "SYL ROASTED DELIGHTS" + "SDN. BHD.": a suffix on its own line continues the name.
  static const std::regex kSuffixOnly(
      R"(^\(?(M\)\s*)?(SDN\.?\s*BHD\.?|S/B|BHD\.?|\(M\)\s*SDN\.?\s*BHD\.?)\s*(\(.*\))?$)");
  auto next = static_cast<size_t>(span.last + 1);
  if (next < page.lines.size() && std::regex_search(trim(upper[next]), kSuffixOnly))
    span.last = static_cast<int>(next);
  return span;
}

// 1) A legal-entity line (SDN BHD, ENTERPRISE, 有限公司, ...) in the header.
std::optional<LineSpan> company_by_suffix(const ReceiptPage& page, size_t header_end, int address_start) {
  for (size_t p = 0; p < header_end; ++p) {
    const std::string& u = page.upper[p];
    if (std::regex_search(u, strong_suffix_regex()) && !header_noise(u) && !registration_line(u) &&
        static_cast<int>(p) != address_start && !owner_line(page, p))
      return grow_suffix_name(page, static_cast<int>(p), header_end);
  }
  return std::nullopt;
}

// 2) The name printed just above the address (skipping registration numbers and headers);
//    one-word lines above it belong to it ("THE" / "ROTI" / "MAN" / "BAKERY").
std::optional<LineSpan> company_above_address(const ReceiptPage& page, int address_start) {
  const auto& upper = page.upper;
  auto letters = [&](int q) { return mostly_letters(page.lines[static_cast<size_t>(q)].text); };
  auto noise = [&](int q) { return header_noise(upper[static_cast<size_t>(q)]); };
  int p = address_start - 1;
  while (p >= 0 && (registration_line(upper[static_cast<size_t>(p)]) || noise(p) || !letters(p))) --p;
  // A line of generic words only ("BISTRO & CAFE") describes the name above it.
  static const std::regex kGeneric(
      R"(^((BISTRO|CAFE|RESTAURANT|RESTORAN|BAR|KITCHEN|BAKERY|&|AND|GRILL|FOOD|COFFEE|TEA|SHOP|HOUSE)\s*)+$)");
  if (p > 0 && trim(upper[static_cast<size_t>(p)]).find(' ') != std::string::npos &&
      std::regex_search(trim(upper[static_cast<size_t>(p)]), kGeneric) && letters(p - 1) && !noise(p - 1))
    --p;
  if (p < 0) return std::nullopt;
  LineSpan span{p, p};
  auto one_word = [&](int q) { return trim(upper[static_cast<size_t>(q)]).find(' ') == std::string::npos; };
  if (one_word(p))
    while (span.first > 0 && one_word(span.first - 1) && letters(span.first - 1) && !noise(span.first - 1))
      --span.first;
  return span;
}

// 3) The first header line that reads as a name.
std::optional<LineSpan> first_name_line(const ReceiptPage& page, size_t header_end) {
  for (size_t p = 0; p < header_end; ++p) {
    const std::string& u = page.upper[p];
    if (mostly_letters(page.lines[p].text) && !header_noise(u) && !stop_for_address(u) && !registration_line(u))
      return LineSpan{static_cast<int>(p), static_cast<int>(p)};
  }
  return std::nullopt;
}

Field company_field(const ReceiptPage& page, LineSpan span) {
  std::string name;
  std::vector<int> positions;
  for (int p = span.first; p <= span.last; ++p) {
    if (!name.empty()) name += ' ';
    name += without_registration(page.lines[static_cast<size_t>(p)].text);
    positions.push_back(p);
  }
  bool strong = std::regex_search(page.upper[static_cast<size_t>(span.last)], strong_suffix_regex());
  Field f = make_field(page.layout, "company", ValueType::text, positions, strong ? 0.95 : 0.75);
  f.value = f.display = f.normalized = name;
  return f;
}

// An address after an address label ("地址", "ADDRESS").
std::optional<Field> labelled_address(const ReceiptPage& page) {
  for (size_t p = 0; p < page.lines.size(); ++p) {
    for (auto k : {"地址", "ADDRESS", "ADD:", "ADDR"}) {
      size_t end = 0;
      if (!has_key(page.upper[p], k, &end)) continue;
      auto kv = find_value(page.layout, static_cast<int>(p), end, [](const std::string& v) {
        return v.size() >= 4 && address_like(to_upper_ascii(v));
      });
      if (!kv) continue;
      Field f = make_field(page.layout, "address", ValueType::text, {static_cast<int>(p), kv->value_line}, 0.95);
      f.value = f.display = f.normalized = kv->value;
      return f;
    }
  }
  return std::nullopt;
}

// Amounts end the address; "55,57" in "NO.53 55,57 & 59" is a house-number list, not money.
bool has_amount(const std::string& text) {
  auto moneys = find_money(text);
  return std::any_of(moneys.begin(), moneys.end(), [](const Money& m) {
    return !m.currency_symbol.empty() || m.number_text.find('.') != std::string::npos;
  });
}

// The address lines from position `first` on (at most 6), up to a label, an amount, a phone
// number or a large gap.
std::optional<Field> address_block(const ReceiptPage& page, int first) {
  const auto& lines = page.lines;
  std::vector<int> positions;
  std::string partial_tail;  // the address part of a last line that goes on with a phone
  int skipped = 0;
  for (auto p = static_cast<size_t>(first); p < lines.size() && positions.size() < 6; ++p) {
    const std::string& u = page.upper[p];
    bool registration = registration_line(u);
    bool stop = stop_for_address(u) || has_amount(lines[p].text) || phone_like(u);
    if (positions.empty() && (registration || stop || header_noise(u) ||
                              (company_suffix(u) && !address_like(u)))) {
      if (++skipped > 3) break;
      continue;
    }
    if (stop || header_noise(u)) {
      // "81750 JOHOR BAHRU, JOHOR. TEL NO.: 07-387 3322": keep the part before the label.
      for (auto k : {"TEL", "TELEPHONE", "PHONE", "FAX", "T:", "H/P", "EMAIL", "GST"}) {
        size_t begin = 0;
        if (!positions.empty() && has_key(u, k, nullptr, &begin) && begin > 0 &&
            address_like(u.substr(0, begin))) {
          partial_tail = trim(lines[p].text.substr(0, begin));
          positions.push_back(static_cast<int>(p));
          break;
        }
      }
      break;
    }
    if (registration) break;
    // A large gap ends the address block.
    if (!positions.empty()) {
      const auto& prev = lines[static_cast<size_t>(positions.back())];
      if (lines[p].top - prev.bottom > 1.5f * prev.height()) break;
    }
    positions.push_back(static_cast<int>(p));
  }
  std::string joined;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (!joined.empty()) joined += ' ';
    bool last = i + 1 == positions.size();
    joined += last && !partial_tail.empty() ? partial_tail : lines[static_cast<size_t>(positions[i])].text;
  }
  if (positions.empty() || !address_like(to_upper_ascii(joined))) return std::nullopt;
  Field f = make_field(page.layout, "address", ValueType::text, positions, 0.85);
  f.value = f.display = f.normalized = joined;
  return f;
}

}  // namespace

CompanyFind find_company(const ReceiptPage& page) {
  const size_t end = header_end(page);
  const int address_start = find_address_start(page, end);
  if (auto labelled = labelled_company(page)) {
    labelled->address_start = address_start;
    return *labelled;
  }
  CompanyFind found;
  found.address_start = address_start;
  auto span = company_by_suffix(page, end, found.address_start);
  if (!span && found.address_start > 0) span = company_above_address(page, found.address_start);
  if (!span) span = first_name_line(page, end);
  if (span) {
    found.field = company_field(page, *span);
    found.last_line = span->last;
  }
  return found;
}

std::optional<Field> find_address(const ReceiptPage& page, const CompanyFind& company) {
  if (auto labelled = labelled_address(page)) return labelled;
  // The lines after the company's name, or from the address start when that is close below it.
  int first = company.last_line >= 0 ? company.last_line + 1 : company.address_start;
  if (company.address_start > company.last_line && company.last_line >= 0 &&
      company.address_start - company.last_line <= 4)
    first = company.address_start;
  if (first < 0) return std::nullopt;
  return address_block(page, first);
}

}  // namespace edgeocr::extract
