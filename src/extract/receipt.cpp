#include "extract/receipt.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <regex>

#include "extract/values.h"

namespace edgeocr::extract {
namespace {

using Lines = std::vector<LayoutLine>;

bool has_key(const std::string& text, std::string_view key, size_t* end = nullptr,
             size_t* begin = nullptr) {
  size_t e = find_key(text, key, begin);
  if (e == std::string_view::npos) return false;
  if (end) *end = e;
  return true;
}

bool has_any(const std::string& text, std::initializer_list<std::string_view> keys) {
  return std::any_of(keys.begin(), keys.end(), [&](std::string_view k) { return has_key(text, k); });
}

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


// `value` keeps a currency printed next to the number ("RM8.60"), as receipts label it;
// `normalized` is the bare amount.
void set_money(Field& f, const Money& m) {
  bool glued = m.printed.find(' ') == std::string::npos;
  f.value = glued ? m.printed : m.number_text;
  f.display = m.printed;
  f.normalized = m.normalized;
  f.currency = m.currency_code;
}

std::string fmt2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// ---- amounts: total / subtotal / tax ----

struct AmountKey {
  std::string_view key;
  int priority;
};

// Higher priority wins; among equals the larger amount (a later "TOTAL" in a GST summary is
// smaller than the payable total).
const std::vector<AmountKey> kTotalKeys = {
    {"ROUNDED TOTAL", 10}, {"TOTAL ROUNDED", 10}, {"TOTAL (ROUNDED)", 10}, {"GRAND TOTAL", 10},
    {"NETT TOTAL", 9}, {"NET TOTAL", 9}, {"TOTAL PAYABLE", 9}, {"AMOUNT DUE", 9},
    {"TOTAL DUE", 9}, {"NETT AMOUNT", 9}, {"NET AMOUNT", 8}, {"价税合计", 10}, {"应付金额", 10},
    {"实付金额", 10}, {"应付", 9}, {"实付", 9}, {"应收", 9}, {"总金额", 9}, {"總金額", 9},
    {"TOTAL AMOUNT", 8}, {"TOTAL AMT", 8}, {"TOTAL INCL", 8}, {"TOTAL SALES (INCL", 8},
    {"TOTAL (INCL", 8}, {"TOTAL SALES INCL", 8}, {"TOTAL SALE", 7}, {"合计", 8}, {"合計", 8},
    {"总计", 8}, {"總計", 8}, {"TOTAL", 6}, {"AMOUNT", 2}, {"NETT", 3}, {"金额", 2},
};
const std::vector<std::string_view> kNotTotal = {
    "SUBTOTAL", "SUB TOTAL", "SUB-TOTAL", "TOTAL QTY", "TOTAL QUANTITY", "TOTAL ITEM",
    "TOTAL NO", "TOTAL GST", "TOTAL TAX", "TOTAL DISCOUNT", "TOTAL SAVING", "TOTAL EXCL",
    "EXCLUDING", "EXCL.", "TOTAL SALES (EXCL", "QTY", "数量", "小计", "小計", "税额", "GST SUMMARY",
    "TOTAL SAVINGS", "BEFORE", "CHANGE", "TENDER", "ROUNDING ADJ", "ROUNDING", "DISCOUNT"};
const std::vector<AmountKey> kSubtotalKeys = {
    {"SUBTOTAL", 9}, {"SUB TOTAL", 9}, {"SUB-TOTAL", 9}, {"TOTAL EXCL", 8},
    {"TOTAL SALES (EXCL", 8}, {"TOTAL BEFORE", 7}, {"AMOUNT BEFORE", 7}, {"小计", 9},
    {"小計", 9}, {"不含税", 8}, {"金额合计", 6}};
const std::vector<AmountKey> kTaxKeys = {
    {"TOTAL GST", 9}, {"TOTAL TAX", 9}, {"GST AMOUNT", 9}, {"GST AMT", 9}, {"TAX AMOUNT", 9},
    {"税额", 9}, {"税金", 9}, {"稅額", 9}, {"SERVICE TAX", 7}, {"GST", 6}, {"SST", 6},
    {"VAT", 6}, {"TAX", 5}, {"税", 4}};
const std::vector<std::string_view> kNotTax = {"TAX INVOICE", "INVOICE", "REG", "GST NO", "GST ID",
                                               "SST NO", "SST ID", "税号", "识别号", "SUMMARY",
                                               "INCL", "EXCL", "INCLUSIVE", "EXCLUSIVE", "RELIEF"};

struct AmountHit {
  int priority = -1;
  Money money;
  std::vector<int> positions;
};

std::optional<AmountHit> best_amount(const Layout& layout, const std::vector<AmountKey>& keys,
                                     const std::vector<std::string_view>& exclude,
                                     bool prefer_larger, bool after_rounding = false) {
  std::vector<AmountHit> hits;
  for (size_t p = 0; p < layout.lines.size(); ++p) {
    const std::string upper = to_upper_ascii(layout.lines[p].text);
    if (std::any_of(exclude.begin(), exclude.end(),
                    [&](std::string_view k) { return has_key(upper, k); }))
      continue;
    for (const auto& key : keys) {
      size_t end = 0;
      if (!has_key(upper, key.key, &end)) continue;
      auto kv = find_value(layout, static_cast<int>(p), end, [](const std::string& v) {
        return !find_money(v).empty();
      });
      if (!kv) break;
      // The value line itself must not be another labelled amount ("CASH 10.00").
      if (kv->value_line != static_cast<int>(p)) {
        const std::string vu = to_upper_ascii(layout.lines[static_cast<size_t>(kv->value_line)].text);
        auto first_digit = std::find_if(vu.begin(), vu.end(), [](char c) { return c >= '0' && c <= '9'; });
        std::string label(vu.begin(), first_digit);
        int letters = static_cast<int>(std::count_if(label.begin(), label.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
        if (letters > 3 && label.find("RM") == std::string::npos) break;
      }
      auto moneys = find_money(kv->value);
      Money m = moneys.back();
      hits.push_back(AmountHit{key.priority, m, {static_cast<int>(p), kv->value_line}});
      break;  // only the longest (first listed) key of a line counts
    }
  }
  if (after_rounding) {
    // After a rounding adjustment, the total printed below it is the one paid.
    int rounding = -1;
    for (size_t p = 0; p < layout.lines.size(); ++p)
      if (has_any(to_upper_ascii(layout.lines[p].text), {"ROUNDING", "ROUNDED ADJ", "ROUND ADJ", "ROUNDING ADJ", "舍入", "抹零"}))
        rounding = static_cast<int>(p);
    bool below = std::any_of(hits.begin(), hits.end(), [&](const AmountHit& h) {
      return h.positions[0] > rounding && h.priority >= 6;
    });
    if (rounding >= 0 && below)
      hits.erase(std::remove_if(hits.begin(), hits.end(), [&](const AmountHit& h) { return h.positions[0] < rounding; }),
                 hits.end());
  }
  std::optional<AmountHit> best;
  for (const auto& hit : hits) {
    bool better = !best || hit.priority > best->priority ||
                  (hit.priority == best->priority && prefer_larger &&
                   hit.money.amount > best->money.amount + 1e-9);
    if (better) best = hit;
  }
  return best;
}

// ---- company / address ----

bool mostly_letters(const std::string& text) {
  int letters = 0, digits = 0, total = 0;
  for (char32_t c : to_u32(text)) {
    if (c == ' ') continue;
    ++total;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x3000) ++letters;
    if (c >= '0' && c <= '9') ++digits;
  }
  return total >= 3 && letters * 10 >= total * 6;
}

bool company_suffix(const std::string& upper) {
  return has_any(upper, {"SDN BHD", "SDN. BHD", "SDN.BHD", "SDN", "BHD", "S/B", "ENTERPRISE",
                         "TRADING", "CO.", "COMPANY", "HARDWARE", "RESTAURANT", "RESTORAN",
                         "STORE", "MART", "MARKET", "SUPERMARKET", "BAKERY", "CAFE", "KITCHEN",
                         "STATIONERY", "PHARMACY", "LTD", "LIMITED", "INC", "PLT", "GROCER",
                         "有限公司", "公司", "超市", "餐厅", "饭店", "商行", "便利店", "药房",
                         "商店", "酒店", "咖啡"});
}

bool header_noise(const std::string& upper) {
  return has_any(upper, {"TAX INVOICE", "INVOICE", "RECEIPT", "WELCOME", "CASH BILL",
                         "THANK YOU", "欢迎光临", "收银小票", "购物小票", "小票", "发票", "收据",
                         "COPY", "SIMPLIFIED"});
}

bool stop_for_address(const std::string& upper) {
  return has_any(upper, {"TEL", "PHONE", "FAX", "T:", "H/P", "HP", "GST", "SST", "TAX",
                         "INVOICE", "RECEIPT", "DATE", "CASHIER", "DOC NO", "EMAIL", "E-MAIL",
                         "WWW", "HTTP", "REG NO", "CO REG", "CO. REG", "电话", "日期", "收银",
                         "税号", "BILL", "TABLE", "ORDER", "MOBILE", "WHATSAPP", "GUEST",
                         "CHECK", "SERVER", "MEMBER", "TERMINAL", "POS", "TELEPHONE", "SITE"}) ||
         upper.find('@') != std::string::npos || find_date(upper).has_value();
}

// A line that is mostly a phone number ("+603-9130 2672", "03-60571377").
bool phone_like(const std::string& upper) {
  auto phone = find_phone(upper);
  if (!phone) return false;
  int letters = 0;
  for (char c : upper) letters += (c >= 'A' && c <= 'Z');
  return letters <= 3;
}

bool looks_like_registration(const std::string& upper) {
  static const std::regex kReg(R"(^\(?\s*(CO\.?\s*(REG|NO)\S*\s*[:.]?\s*)?[0-9]{3,}[-.\s]?[A-Z]?\s*\)?\.?$)");
  static const std::regex kRegWord(R"(^\(?\s*(CO|COMPANY|ROC|BRN)\.?\s*(REG|NO|NUMBER)\b.*$)");
  return std::regex_search(upper, kReg) || std::regex_search(upper, kRegWord);
}

std::string strip_registration(const std::string& text) {
  // "99 SPEED MART S/B (519537-X)" -> "99 SPEED MART S/B"
  static const std::regex kTrailing(R"(\s*\(\s*(CO\.?\s*(REG\.?\s*)?(NO\.?)?\s*[:.]?\s*)?[0-9]{3,}[-\s]?[A-Z]?\s*\)\s*$)",
                                    std::regex::icase);
  static const std::regex kTrailingBare(R"(\s+[0-9]{5,}-[A-Z]\s*$)", std::regex::icase);
  return trim(std::regex_replace(std::regex_replace(text, kTrailing, ""), kTrailingBare, ""));
}

bool registration_line(const std::string& upper) {
  return looks_like_registration(trim(upper)) ||
         has_any(upper, {"CO REG", "CO. REG", "CO-REG", "COMPANY NO", "COMPANY REG", "ROC",
                         "REG. NO", "REG NO", "LICENSEE", "营业执照"});
}

const std::regex& strong_suffix_regex() {
  static const std::regex kStrongSuffix(
      R"(\b(SDN\.?\s*BHD|BHD|S/B|SDN|ENTERPRISE|TRADING|PLT|LTD|LIMITED|BERHAD)\b|有限公司|公司)");
  return kStrongSuffix;
}

// A line that opens with a house number, lot or street, or carries a 5-digit postcode.
const std::regex& address_start_regex() {
  static const std::regex kAddressStart(
      R"(^(NO\.?\s*\d|LOT\b|LEVEL\b|BLOCK\b|BLK\b|UNIT\b|JALAN\b|JLN\b|[A-Z]\d{1,4}-|\d{1,5}[A-Z]{0,2}\s*[,.\-/& ])|\b\d{5}\b)");
  return kAddressStart;
}

bool address_like(const std::string& upper) {
  static const std::regex kPostcode(R"((^|\D)\d{5,6}(\D|$))");
  return std::regex_search(upper, kPostcode) ||
         has_any(upper, {"JALAN", "JLN", "LOT", "TAMAN", "TMN", "NO.", "NO ", "ROAD", "RD", "STREET",
                         "ST.", "AVENUE", "LORONG", "JLN.", "BATU", "KAWASAN", "BANDAR", "PLAZA",
                         "FLOOR", "BLOCK", "BLK", "SELANGOR", "KUALA LUMPUR", "JOHOR", "MALAYSIA",
                         "路", "号", "街", "区", "市", "省", "道", "大厦", "楼"}) ||
         (upper.find(',') != std::string::npos);
}

// ---- payment ----

struct PaymentKeyword {
  std::string_view key;
  std::string_view normalized;
};
const std::vector<PaymentKeyword> kPayments = {
    {"VISA", "card"}, {"MASTERCARD", "card"}, {"MASTER", "card"}, {"AMEX", "card"},
    {"CREDIT CARD", "card"}, {"DEBIT CARD", "card"}, {"CREDIT", "card"}, {"CARD", "card"},
    {"E-WALLET", "e_wallet"}, {"EWALLET", "e_wallet"}, {"TOUCH N GO", "e_wallet"},
    {"TNG", "e_wallet"}, {"GRABPAY", "e_wallet"}, {"BOOST", "e_wallet"},
    {"OCTOPUS", "octopus"}, {"八达通", "octopus"}, {"八達通", "octopus"},
    {"微信支付", "wechat_pay"}, {"微信", "wechat_pay"}, {"支付宝", "alipay"},
    {"银联", "unionpay"}, {"云闪付", "unionpay"}, {"信用卡", "card"}, {"刷卡", "card"},
    {"现金", "cash"}, {"現金", "cash"}, {"CASH", "cash"}};

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

LineCues line_cues(const std::string& upper) {
  LineCues c;
  c.company_suffix = company_suffix(upper);
  c.strong_suffix = std::regex_search(upper, strong_suffix_regex());
  c.header_noise = header_noise(upper);
  c.address_stop = stop_for_address(upper);
  c.phone = phone_like(upper);
  c.registration = registration_line(upper);
  c.address_like = address_like(upper);
  c.address_start = std::regex_search(upper, address_start_regex());
  return c;
}

std::string without_registration(const std::string& text) { return strip_registration(text); }

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
  ReceiptAnalysis out;
  const auto& lines = layout.lines;
  std::vector<std::string> upper;
  for (const auto& l : lines) upper.push_back(to_upper_ascii(l.text));

  // ---- amounts ----
  auto total = best_amount(layout, kTotalKeys, kNotTotal, /*prefer_larger=*/true, /*after_rounding=*/true);
  auto subtotal = best_amount(layout, kSubtotalKeys, {"QTY", "数量"}, false);
  auto tax = best_amount(layout, kTaxKeys, kNotTax, false);
  if (total) {
    Field f = make_field(layout, "total", ValueType::money, total->positions,
                         0.6 + 0.04 * total->priority);
    set_money(f, total->money);
    out.fields["total"] = f;
  }
  if (subtotal) {
    Field f = make_field(layout, "subtotal", ValueType::money, subtotal->positions, 0.9);
    set_money(f, subtotal->money);
    out.fields["subtotal"] = f;
  }
  if (tax) {
    Field f = make_field(layout, "tax", ValueType::money, tax->positions, 0.85);
    set_money(f, tax->money);
    out.fields["tax"] = f;
  }

  // ---- date / time ----
  int date_pos = -1;
  for (int pass = 0; pass < 2 && date_pos < 0; ++pass) {
    for (size_t p = 0; p < lines.size(); ++p) {
      const auto& row = layout.rows[static_cast<size_t>(lines[p].row)];
      bool labelled = has_any(upper[p], {"DATE", "日期", "DATED"}) ||
                      std::any_of(row.begin(), row.end(), [&](int q) {
                        return has_any(upper[static_cast<size_t>(q)], {"DATE", "日期"});
                      });
      if (pass == 0 && !labelled) continue;
      auto d = find_date(lines[p].text);
      // Unlabelled: a numeric date wins over a spelled-out one printed earlier ("27 MARCH, 2018").
      auto spelled = [](const Date& date) {
        return std::any_of(date.printed.begin(), date.printed.end(),
                           [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
      };
      if (d && pass == 1 && spelled(*d)) {
        bool numeric_later = false;
        for (size_t q = p + 1; q < lines.size() && !numeric_later; ++q)
          if (auto d2 = find_date(lines[q].text)) numeric_later = !spelled(*d2);
        if (numeric_later) continue;
      }
      if (d) {
        date_pos = static_cast<int>(p);
        Field f = make_field(layout, "date", ValueType::date, {date_pos}, labelled ? 1.0 : 0.85);
        f.value = d->printed;
        f.display = d->printed;
        f.normalized = d->iso;
        out.fields["date"] = f;
        break;
      }
    }
  }
  {
    std::vector<size_t> order;
    if (date_pos >= 0) order.push_back(static_cast<size_t>(date_pos));
    for (size_t p = 0; p < lines.size(); ++p)
      if (has_any(upper[p], {"TIME", "时间"})) order.push_back(p);
    for (size_t p = 0; p < lines.size(); ++p) order.push_back(p);
    for (size_t p : order) {
      std::string text = lines[p].text;
      // Do not read the date's digits as a clock.
      if (auto d = find_date(text)) text.replace(d->span.begin, d->span.end - d->span.begin,
                                                  std::string(d->span.end - d->span.begin, ' '));
      if (auto t = find_time(text)) {
        Field f = make_field(layout, "time", ValueType::time, {static_cast<int>(p)}, 0.95);
        f.value = trim(t->printed);
        f.display = f.value;
        f.normalized = t->normalized;
        out.fields["time"] = f;
        break;
      }
    }
  }

  // ---- phone / tax id ----
  for (size_t p = 0; p < lines.size(); ++p) {
    size_t end = 0;
    bool labelled = false;
    for (auto k : {"TEL", "PHONE", "T:", "H/P", "HP", "MOBILE", "电话", "手机", "联系电话", "TEL NO"}) {
      if (has_key(upper[p], k, &end)) {
        labelled = true;
        break;
      }
    }
    if (!labelled) continue;
    auto kv = find_value(layout, static_cast<int>(p), end,
                         [](const std::string& v) { return find_phone(v).has_value(); });
    if (!kv) continue;
    auto ph = find_phone(kv->value);
    Field f = make_field(layout, "phone", ValueType::phone, {static_cast<int>(p), kv->value_line}, 0.95);
    f.value = ph->printed;
    f.display = ph->printed;
    f.normalized = ph->normalized;
    out.fields["phone"] = f;
    break;
  }
  for (size_t p = 0; p < lines.size(); ++p) {
    // The id may sit on the next line after a bare label ("GST REG NO:" / "000243941376").
    std::string text = lines[p].text;
    auto id = find_tax_id(text);
    int value_pos = static_cast<int>(p);
    if (!id && p + 1 < lines.size() &&
        has_any(upper[p], {"GST REG", "GST NO", "GST ID", "SST", "税号", "纳税人识别号"})) {
      id = find_tax_id(text + " " + lines[p + 1].text);
      value_pos = static_cast<int>(p + 1);
    }
    if (!id) continue;
    Field f = make_field(layout, "tax_id", ValueType::tax_id, {static_cast<int>(p), value_pos}, 0.95);
    f.value = id->value;
    f.display = id->value;
    f.normalized = to_upper_ascii(id->value);
    out.fields["tax_id"] = f;
    break;
  }

  // ---- company ----
  int company_pos = -1, company_end = -1;  // [company_pos, company_end] lines
  for (size_t p = 0; p < lines.size() && company_pos < 0; ++p) {
    for (auto k : {"商户名称", "商家名称", "商户", "商家", "店名", "销售方名称", "MERCHANT NAME",
                   "STORE NAME", "SHOP NAME"}) {
      size_t end = 0;
      if (!has_key(upper[p], k, &end)) continue;
      auto kv = find_value(layout, static_cast<int>(p), end,
                           [](const std::string& v) { return v.size() >= 2; });
      if (!kv) continue;
      Field f = make_field(layout, "company", ValueType::text, {static_cast<int>(p), kv->value_line}, 0.95);
      f.value = f.display = f.normalized = kv->value;
      out.fields["company"] = f;
      company_pos = company_end = kv->value_line;
      break;
    }
  }
  // The header region: the lines above the first date, total or cashier line.
  size_t header_end = std::min<size_t>(lines.size(), 14);
  for (size_t p = 0; p < header_end; ++p) {
    if (find_date(lines[p].text) || has_any(upper[p], {"TOTAL", "CASHIER", "QTY"})) {
      header_end = p;
      break;
    }
  }
  auto is_registration = [&](size_t p) { return registration_line(upper[p]); };
  const std::regex& kStrongSuffix = strong_suffix_regex();
  // Where the printed address starts: a line that opens with a house number, lot or street.
  int address_start = -1;
  {
    const std::regex& kAddressStart = address_start_regex();
    for (size_t p = 0; p < header_end; ++p) {
      if (is_registration(p) || header_noise(upper[p]) || stop_for_address(upper[p]) ||
          std::regex_search(upper[p], kStrongSuffix))
        continue;
      if (std::regex_search(upper[p], kAddressStart) || (contains_cjk(lines[p].text) && address_like(upper[p]) &&
                                                          has_any(upper[p], {"路", "号", "街", "区"}))) {
        address_start = static_cast<int>(p);
        break;
      }
    }
  }
  if (company_pos < 0) {
    // 1) A legal-entity line (SDN BHD, ENTERPRISE, 有限公司, ...) in the header.
    // A legal owner printed under "OWNED BY :" is not the shop's name.
    auto owner_line = [&](size_t p) {
      for (size_t q = p >= 2 ? p - 2 : 0; q < p; ++q)
        if (has_any(upper[q], {"OWNED BY", "DIMILIKI OLEH", "OPERATED BY"}) &&
            !std::regex_search(upper[q], kStrongSuffix))
          return true;
      return false;
    };
    for (size_t p = 0; p < header_end && company_pos < 0; ++p)
      if (std::regex_search(upper[p], kStrongSuffix) && !header_noise(upper[p]) &&
          !is_registration(p) && static_cast<int>(p) != address_start && !owner_line(p))
        company_pos = static_cast<int>(p);
    if (company_pos >= 0) {
      company_end = company_pos;
      // An open parenthesis continues on the next line: "ENTERPRISE (SETIA" / "ALAM) SDN BHD".
      auto open_parens = [&](int from, int to) {
        int depth = 0;
        for (int q = from; q <= to; ++q)
          for (char c : upper[static_cast<size_t>(q)]) depth += (c == '(') - (c == ')');
        return depth;
      };
      while (company_end + 1 < static_cast<int>(header_end) && open_parens(company_pos, company_end) > 0)
        ++company_end;
      // A name broken over lines: "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD".
      // Also a suffix line with at most one word before the suffix ("NING SDN. BHD.") or one
      // that opens with '&' ("& TEA LEAF (M) SDN. BHD.").
      static const std::regex kContinuation(
          R"(^(SDN|BHD|S/B|ENTERPRISE|TRADING|\(M\)|CO\b|&|[A-Z]*\)|[A-Z']+\s+(SDN|BHD|S/B|ENTERPRISE)\b))");
      while (company_pos > 0 && std::regex_search(upper[static_cast<size_t>(company_pos)], kContinuation) &&
             !std::regex_search(upper[static_cast<size_t>(company_pos - 1)], kStrongSuffix) &&
             mostly_letters(lines[static_cast<size_t>(company_pos - 1)].text) &&
             !header_noise(upper[static_cast<size_t>(company_pos - 1)]))
        --company_pos;
      // "SYL ROASTED DELIGHTS" + "SDN. BHD.": a suffix on its own line continues the name.
      static const std::regex kSuffixOnly(
          R"(^\(?(M\)\s*)?(SDN\.?\s*BHD\.?|S/B|BHD\.?|\(M\)\s*SDN\.?\s*BHD\.?)\s*(\(.*\))?$)");
      auto next = static_cast<size_t>(company_end + 1);
      if (next < lines.size() && std::regex_search(trim(upper[next]), kSuffixOnly))
        company_end = static_cast<int>(next);
    } else if (address_start > 0) {
      // 2) The name printed just above the address (skipping registration numbers and headers);
      //    one-word lines above it belong to it ("THE" / "ROTI" / "MAN" / "BAKERY").
      int p = address_start - 1;
      while (p >= 0 && (is_registration(static_cast<size_t>(p)) || header_noise(upper[static_cast<size_t>(p)]) ||
                        !mostly_letters(lines[static_cast<size_t>(p)].text)))
        --p;
      // A line of generic words only ("BISTRO & CAFE") describes the name above it.
      static const std::regex kGeneric(
          R"(^((BISTRO|CAFE|RESTAURANT|RESTORAN|BAR|KITCHEN|BAKERY|&|AND|GRILL|FOOD|COFFEE|TEA|SHOP|HOUSE)\s*)+$)");
      if (p > 0 && trim(upper[static_cast<size_t>(p)]).find(' ') != std::string::npos &&
          std::regex_search(trim(upper[static_cast<size_t>(p)]), kGeneric) &&
          mostly_letters(lines[static_cast<size_t>(p - 1)].text) && !header_noise(upper[static_cast<size_t>(p - 1)]))
        --p;
      if (p >= 0) {
        company_pos = company_end = p;
        auto one_word = [&](int q) { return trim(upper[static_cast<size_t>(q)]).find(' ') == std::string::npos; };
        if (one_word(p))
          while (company_pos > 0 && one_word(company_pos - 1) &&
                 mostly_letters(lines[static_cast<size_t>(company_pos - 1)].text) &&
                 !header_noise(upper[static_cast<size_t>(company_pos - 1)]))
            --company_pos;
      }
    }
    // 3) The first line that reads as a name.
    for (size_t p = 0; p < header_end && company_pos < 0; ++p)
      if (mostly_letters(lines[p].text) && !header_noise(upper[p]) && !stop_for_address(upper[p]) &&
          !is_registration(p))
        company_pos = company_end = static_cast<int>(p);
    if (company_pos >= 0) {
      std::string name;
      std::vector<int> positions;
      for (int p = company_pos; p <= company_end; ++p) {
        if (!name.empty()) name += ' ';
        name += strip_registration(lines[static_cast<size_t>(p)].text);
        positions.push_back(p);
      }
      bool strong = std::regex_search(upper[static_cast<size_t>(company_end)], kStrongSuffix);
      Field f = make_field(layout, "company", ValueType::text, positions, strong ? 0.95 : 0.75);
      f.value = f.display = f.normalized = name;
      out.fields["company"] = f;
    }
  }

  // ---- address ----
  bool address_done = false;
  for (size_t p = 0; p < lines.size() && !address_done; ++p) {
    for (auto k : {"地址", "ADDRESS", "ADD:", "ADDR"}) {
      size_t end = 0;
      if (!has_key(upper[p], k, &end)) continue;
      auto kv = find_value(layout, static_cast<int>(p), end, [](const std::string& v) {
        return v.size() >= 4 && address_like(to_upper_ascii(v));
      });
      if (!kv) continue;
      Field f = make_field(layout, "address", ValueType::text, {static_cast<int>(p), kv->value_line}, 0.95);
      f.value = f.display = f.normalized = kv->value;
      out.fields["address"] = f;
      address_done = true;
      break;
    }
  }
  int first = company_end >= 0 ? company_end + 1 : address_start;
  if (address_start > company_end && company_end >= 0 && address_start - company_end <= 4) first = address_start;
  if (!address_done && first >= 0) {
    std::vector<int> positions;
    std::string partial_tail;  // the address part of a last line that goes on with a phone
    int skipped = 0;
    for (auto p = static_cast<size_t>(first); p < lines.size() && positions.size() < 6; ++p) {
      const std::string& u = upper[p];
      bool registration = is_registration(p);
      // Amounts end the address; "55,57" in "NO.53 55,57 & 59" is a house-number list, not money.
      auto moneys = find_money(lines[p].text);
      bool amount = std::any_of(moneys.begin(), moneys.end(), [](const Money& m) {
        return !m.currency_symbol.empty() || m.number_text.find('.') != std::string::npos;
      });
      bool stop = stop_for_address(u) || amount || phone_like(u);
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
      if (registration) {
        if (positions.empty()) continue;
        break;
      }
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
    if (!positions.empty() && address_like(to_upper_ascii(joined))) {
      Field f = make_field(layout, "address", ValueType::text, positions, 0.85);
      f.value = f.display = f.normalized = joined;
      out.fields["address"] = f;
    }
  }

  // ---- payment method ----
  for (int pass = 0; pass < 2 && !out.fields.count("payment_method"); ++pass) {
    for (size_t p = 0; p < lines.size() && !out.fields.count("payment_method"); ++p) {
      const std::string& u = upper[p];
      if (has_any(u, {"CASH BILL", "CASHIER", "CASH SALES", "CASH SALE"})) continue;
      bool labelled = has_any(u, {"PAYMENT", "PAID BY", "支付方式", "付款方式", "结算方式", "TENDER"});
      if (pass == 0 && !labelled) continue;
      for (const auto& pk : kPayments) {
        size_t begin = 0, end = 0;
        if (!has_key(u, pk.key, &end, &begin)) continue;
        Field f = make_field(layout, "payment_method", ValueType::text, {static_cast<int>(p)},
                             labelled ? 0.95 : 0.8);
        f.value = f.display = lines[p].text.substr(begin, end - begin);
        f.normalized = std::string(pk.normalized);
        out.fields["payment_method"] = f;
        break;
      }
    }
  }

  // ---- items ----
  int first_row = 0;
  int last_row = static_cast<int>(layout.rows.size());
  for (size_t r = 0; r < layout.rows.size(); ++r) {
    std::string u = to_upper_ascii(layout.row_text(static_cast<int>(r)));
    int hits = 0;
    for (auto k : {"QTY", "DESC", "DESCRIPTION", "ITEM", "PRICE", "AMOUNT", "AMT", "U.PRICE",
                   "品名", "商品", "数量", "单价", "金额", "名称"})
      hits += has_key(u, k);
    if (hits >= 2) {
      first_row = static_cast<int>(r) + 1;
      break;
    }
  }
  if (first_row == 0) {
    for (const char* name : {"address", "date", "company"})
      if (auto it = out.fields.find(name); it != out.fields.end()) {
        for (size_t p = 0; p < lines.size(); ++p)
          if (lines[p].index == it->second.line_indices.back())
            first_row = std::max(first_row, lines[p].row + 1);
      }
  }
  for (const auto* hit : {subtotal ? &*subtotal : nullptr, total ? &*total : nullptr, tax ? &*tax : nullptr})
    if (hit) last_row = std::min(last_row, lines[static_cast<size_t>(hit->positions[0])].row);
  std::string pending_name;
  std::vector<int> pending_positions;
  for (int r = first_row; r < last_row; ++r) {
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
    static const std::regex kTrailingQty(R"(\s+\d{1,3}\s*[xX×*]?\s*$)");
    std::smatch qm;
    if (!item.quantity && std::regex_search(name, qm, kTrailingQty)) {
      std::string q = qm.str(0);
      q.erase(std::remove_if(q.begin(), q.end(), [](char c) { return c < '0' || c > '9'; }), q.end());
      item.quantity = std::stod(q);
      name = trim(name.substr(0, static_cast<size_t>(qm.position(0))));
    }
    std::vector<int> positions(row.begin(), row.end());
    if (!mostly_letters(name) && !pending_name.empty()) {
      name = pending_name;
      positions.insert(positions.end(), pending_positions.begin(), pending_positions.end());
    }
    pending_name.clear();
    pending_positions.clear();
    if (name.empty()) continue;
    item.name = name;
    Field tmp = make_field(layout, "item", ValueType::text, positions, 0.8);
    item.raw = tmp.raw;
    item.box = tmp.box;
    item.line_indices = tmp.line_indices;
    item.confidence = tmp.confidence;
    if (item.quantity && item.unit_price && item.amount) {
      bool ok = std::abs(*item.quantity * *item.unit_price - *item.amount) < 0.011;
      item.confidence = std::clamp(item.confidence + (ok ? 0.15 : -0.2), 0.0, 1.0);
    }
    out.items.push_back(std::move(item));
  }
  if (!out.items.empty()) {
    Field f;
    f.name = "items";
    f.found = true;
    f.value = f.display = std::to_string(out.items.size()) + " items";
    double conf = 0;
    for (const auto& it : out.items) {
      conf += it.confidence;
      f.line_indices.insert(f.line_indices.end(), it.line_indices.begin(), it.line_indices.end());
    }
    f.confidence = conf / static_cast<double>(out.items.size());
    out.fields["items"] = f;
  }

  // ---- cross-checks: they move the confidence of the amounts they involve ----
  auto adjust = [&](const char* name, bool passed) {
    if (auto it = out.fields.find(name); it != out.fields.end())
      it->second.confidence = std::clamp(it->second.confidence + (passed ? 0.15 : -0.25), 0.0, 1.0);
  };
  auto amount = [&](const char* name) -> std::optional<double> {
    auto it = out.fields.find(name);
    if (it == out.fields.end()) return std::nullopt;
    return std::stod(it->second.normalized);
  };
  double items_sum = 0;
  for (const auto& it : out.items) items_sum += it.amount.value_or(0);
  auto sub = amount("subtotal"), tot = amount("total"), tx = amount("tax");
  if (!out.items.empty() && (sub || tot)) {
    double target = sub ? *sub : *tot;
    // A total may include rounding to 0.05 and tax; accept either exact or within rounding.
    bool passed = std::abs(items_sum - target) < 0.011 ||
                  (!sub && tx && std::abs(items_sum + *tx - target) < 0.051) ||
                  (!sub && std::abs(items_sum - target) < 0.051);
    out.checks.push_back({sub ? "items_sum_vs_subtotal" : "items_sum_vs_total", passed,
                          fmt2(items_sum) + " vs " + fmt2(target)});
    adjust(sub ? "subtotal" : "total", passed);
    adjust("items", passed);
  }
  if (sub && tx && tot) {
    bool passed = std::abs(*sub + *tx - *tot) < 0.051;
    out.checks.push_back({"subtotal_plus_tax_vs_total", passed,
                          fmt2(*sub) + " + " + fmt2(*tx) + " = " + fmt2(*sub + *tx) + " vs " + fmt2(*tot)});
    adjust("total", passed);
    adjust("tax", passed);
  } else if (sub && tot) {
    bool passed = *tot + 0.051 >= *sub;
    out.checks.push_back({"subtotal_not_above_total", passed, fmt2(*sub) + " <= " + fmt2(*tot)});
    adjust("total", passed);
  }
  return out;
}

}  // namespace edgeocr::extract
