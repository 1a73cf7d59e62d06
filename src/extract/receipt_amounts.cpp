// Amounts (total, subtotal, tax) and the payment method of the receipt rules.
#include <algorithm>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

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

// The value line of a key on another line must not be another labelled amount ("CASH 10.00").
bool labelled_elsewhere(const Layout& layout, int key_line, const KeyValue& kv) {
  if (kv.value_line == key_line) return false;
  const std::string vu = to_upper_ascii(layout.lines[static_cast<size_t>(kv.value_line)].text);
  auto first_digit = std::find_if(vu.begin(), vu.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::string label(vu.begin(), first_digit);
  int letters = static_cast<int>(std::count_if(label.begin(), label.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  return letters > 3 && label.find("RM") == std::string::npos;
}

// Each line's amount after the longest (first listed) of `keys` it carries, unless the line
// carries one of `exclude`.
std::vector<AmountHit> amount_hits(const Layout& layout, const std::vector<AmountKey>& keys,
                                   const std::vector<std::string_view>& exclude) {
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
      if (kv && !labelled_elsewhere(layout, static_cast<int>(p), *kv))
        hits.push_back(AmountHit{key.priority, find_money(kv->value).back(), {static_cast<int>(p), kv->value_line}});
      break;
    }
  }
  return hits;
}

// After a rounding adjustment, the total printed below it is the one paid: when a total-like
// hit follows the adjustment, the hits above it go.
void keep_hits_after_rounding(const Layout& layout, std::vector<AmountHit>& hits) {
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

std::optional<AmountHit> best_amount(const Layout& layout, const std::vector<AmountKey>& keys,
                                     const std::vector<std::string_view>& exclude,
                                     bool prefer_larger, bool after_rounding = false) {
  std::vector<AmountHit> hits = amount_hits(layout, keys, exclude);
  if (after_rounding) keep_hits_after_rounding(layout, hits);
  std::optional<AmountHit> best;
  for (const auto& hit : hits) {
    bool better = !best || hit.priority > best->priority ||
                  (hit.priority == best->priority && prefer_larger &&
                   hit.money.amount > best->money.amount + 1e-9);
    if (better) best = hit;
  }
  return best;
}

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

Amounts find_amounts(const Layout& layout) {
  Amounts a;
  a.total = best_amount(layout, kTotalKeys, kNotTotal, /*prefer_larger=*/true, /*after_rounding=*/true);
  a.subtotal = best_amount(layout, kSubtotalKeys, {"QTY", "数量"}, false);
  a.tax = best_amount(layout, kTaxKeys, kNotTax, false);
  return a;
}

void add_amount_fields(const Layout& layout, const Amounts& amounts, FieldMap& fields) {
  auto add = [&](const char* name, const std::optional<AmountHit>& hit, double match_quality) {
    if (!hit) return;
    Field f = make_field(layout, name, ValueType::money, hit->positions, match_quality);
    set_money(f, hit->money);
    fields[name] = f;
  };
  if (amounts.total) add("total", amounts.total, 0.6 + 0.04 * amounts.total->priority);
  add("subtotal", amounts.subtotal, 0.9);
  add("tax", amounts.tax, 0.85);
}

std::optional<Field> find_payment_method(const ReceiptPage& page) {
  // A labelled method first ("PAID BY VISA"), then any method keyword.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t p = 0; p < page.lines.size(); ++p) {
      const std::string& u = page.upper[p];
      if (has_any(u, {"CASH BILL", "CASHIER", "CASH SALES", "CASH SALE"})) continue;
      bool labelled = has_any(u, {"PAYMENT", "PAID BY", "支付方式", "付款方式", "结算方式", "TENDER"});
      if (pass == 0 && !labelled) continue;
      for (const auto& pk : kPayments) {
        size_t begin = 0, end = 0;
        if (!has_key(u, pk.key, &end, &begin)) continue;
        Field f = make_field(page.layout, "payment_method", ValueType::text, {static_cast<int>(p)},
                             labelled ? 0.95 : 0.8);
        f.value = f.display = page.lines[p].text.substr(begin, end - begin);
        f.normalized = std::string(pk.normalized);
        return f;
      }
    }
  }
  return std::nullopt;
}

}  // namespace edgeocr::extract
