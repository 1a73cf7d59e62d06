// Typed value parsers used by extraction: money, dates, times, phone numbers, tax/registration
// ids and quantity x unit price. Each `find_*` scans one line of OCR text and reports what it
// found with its byte span, so callers can keep the text exactly as printed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::extract {

struct Span {
  size_t begin = 0, end = 0;  // byte offsets into the scanned text, [begin, end)
};

struct Money {
  double amount = 0;
  std::string number_text;     // the number as printed: "1,234.50"
  std::string printed;         // with its currency as printed: "RM1,234.50", "36.8元"
  std::string currency_symbol; // as printed: "¥", "RM", "元", "" if none
  std::string currency_code;   // "CNY", "MYR", "USD", "EUR", "" if none
  std::string normalized;      // two decimals, '.' separator, no grouping: "1234.50"
  Span span;                   // of `printed`
};

// Parses a whole string as one amount ("¥36.8", "RM 1,234.50", "1.234,56 €", "36.8元",
// "-5.00", "(5.00)"). Surrounding spaces allowed; anything else makes it fail.
std::optional<Money> parse_money(std::string_view text);
// All amounts in a line, left to right. Bare integers count only when `allow_integers` (so that
// quantities, dates and ids are not taken for prices).
std::vector<Money> find_money(std::string_view text, bool allow_integers = false);
// Parses a number with either decimal convention: "1,234.56", "1.234,56", "12,50", "1 234.5".
std::optional<double> parse_number(std::string_view text);

struct Date {
  int year = 0, month = 0, day = 0;
  std::string printed;  // exactly as in the text: "29/12/2017", "2026年1月15日", "15 JAN 2026"
  std::string iso;      // "2017-12-29"
  Span span;
};
// First valid date in the text. Numeric day/month order: d/m/y unless that is impossible and
// m/d/y is valid; y/m/d when the first group has 4 digits. Two-digit years map to 20yy.
std::optional<Date> find_date(std::string_view text);

struct Time {
  int hour = 0, minute = 0, second = 0;
  bool has_seconds = false;
  std::string printed;     // "8:13:39 PM", "14时05分", "01:34PM"
  std::string normalized;  // 24-hour "20:13:39" / "14:05"
  Span span;
};
std::optional<Time> find_time(std::string_view text);

struct Phone {
  std::string printed;     // "03-2093 7358", "+86 138 0013 8000"
  std::string normalized;  // digits with a leading '+' if printed: "0320937358"
  Span span;
};
// A phone number: 7..15 digits, possibly grouped by spaces, '-', '.', parentheses, leading '+'.
std::optional<Phone> find_phone(std::string_view text);

struct TaxId {
  std::string label;      // "GST REG NO", "税号", "SST ID"
  std::string value;      // the id as printed: "000243941376", "91110108MA01ABCD2X"
  Span span;              // of value
};
// A tax/registration id after a label such as GST (REG/ID) NO, SST, TIN, VAT, ABN, 税号,
// 纳税人识别号, 统一社会信用代码. Also a bare 18-character Chinese unified social credit code.
std::optional<TaxId> find_tax_id(std::string_view text);

struct QuantityPrice {
  double quantity = 0;
  double unit_price = 0;
  std::optional<double> amount;  // when the line also carries the product ("2 x 3.50 7.00")
  Span span;
};
// "2 x 3.50", "@5 X RM 12.50", "3 @ 1.20", "2 × ¥3.5 = ¥7.0", "数量2 单价3.5", and "7.90*3"
// (price*qty, as some tills print it: the number with decimals is the price).
std::optional<QuantityPrice> find_quantity_price(std::string_view text);

// Text helpers shared by extraction and eval.
std::string trim(std::string_view text);
std::string collapse_spaces(std::string_view text);
std::string two_decimals(double value);                // "%.2f": 1234.5 -> "1234.50"  // trim + runs of whitespace -> one space
std::string to_upper_ascii(std::string_view text);
std::u32string to_u32(std::string_view utf8);        // invalid bytes become U+FFFD
std::string to_utf8(std::u32string_view text);
// At most `max_bytes` of `utf8`, cut before a character rather than inside one.
std::string utf8_prefix(std::string_view utf8, size_t max_bytes);
bool contains_cjk(std::string_view utf8);

}  // namespace edgeocr::extract
