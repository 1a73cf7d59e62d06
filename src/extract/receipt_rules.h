// The stages of the receipt rules behind analyze_receipt (receipt.h), shared by its files:
// line cues (receipt_cues.cpp), amounts and payment (receipt_amounts.cpp), single-line fields
// (receipt_lines.cpp), company and address (receipt_header.cpp), items and cross-checks
// (receipt_items.cpp). Internal to extract; callers use receipt.h.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "extract/receipt.h"
#include "extract/values.h"

namespace edgeocr::extract {

using FieldMap = std::map<std::string, Field>;

// One page as the rules read it: the layout and each line upper-cased (ASCII).
struct ReceiptPage {
  explicit ReceiptPage(const Layout& page_layout);
  const Layout& layout;
  const std::vector<LayoutLine>& lines;
  std::vector<std::string> upper;  // by position in `lines`
};

// ---- line cues ----

// Whether `key` occurs in `text` (find_key); `end` / `begin` receive its byte range.
bool has_key(const std::string& text, std::string_view key, size_t* end = nullptr,
             size_t* begin = nullptr);
bool has_any(const std::string& text, std::initializer_list<std::string_view> keys);

bool mostly_letters(const std::string& text);
bool company_suffix(const std::string& upper);
bool header_noise(const std::string& upper);
bool stop_for_address(const std::string& upper);
bool phone_like(const std::string& upper);
bool registration_line(const std::string& upper);
bool address_like(const std::string& upper);
const std::regex& strong_suffix_regex();
const std::regex& address_start_regex();

// `value` keeps a currency printed next to the number ("RM8.60"); `normalized` is the bare amount.
void set_money(Field& field, const Money& money);

// ---- amounts ----

struct AmountHit {
  int priority = -1;
  Money money;
  std::vector<int> positions;  // the key's line first, then the value's
};

struct Amounts {
  std::optional<AmountHit> total, subtotal, tax;
};

Amounts find_amounts(const Layout& layout);
// The found amounts as fields "total", "subtotal", "tax".
void add_amount_fields(const Layout& layout, const Amounts& amounts, FieldMap& fields);
std::optional<Field> find_payment_method(const ReceiptPage& page);

// ---- single-line fields ----

// The date field and its line position.
struct DateFind {
  Field field;
  int position = -1;
};
std::optional<DateFind> find_date_field(const ReceiptPage& page);
// `date_position` (or -1) is tried first, and its date is not read as a clock.
std::optional<Field> find_time_field(const ReceiptPage& page, int date_position);
std::optional<Field> find_phone_field(const ReceiptPage& page);
std::optional<Field> find_tax_id_field(const ReceiptPage& page);

// ---- company and address ----

struct CompanyFind {
  std::optional<Field> field;
  int last_line = -1;      // position of the company's last line, -1 when none
  int address_start = -1;  // position of a line that opens an address, -1 when none
};
CompanyFind find_company(const ReceiptPage& page);
std::optional<Field> find_address(const ReceiptPage& page, const CompanyFind& company);

// ---- items and cross-checks ----

std::vector<Item> find_items(const ReceiptPage& page, const FieldMap& fields, const Amounts& amounts);
// The "items" summary field over `items`.
Field items_field(const std::vector<Item>& items);
// Checks between the items and the amounts; moves the confidence of the fields involved.
std::vector<Check> cross_check(const std::vector<Item>& items, FieldMap& fields);

}  // namespace edgeocr::extract
