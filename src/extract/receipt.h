// The receipt analysis behind the `receipt` schema and instruction fields: merchant, address,
// date, time, phone, tax id, items, subtotal, tax, total, payment method, with cross-checks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "extract/extract.h"
#include "extract/layout.h"

namespace edgeocr::extract {

struct ReceiptAnalysis {
  std::map<std::string, Field> fields;  // by canonical name; only found fields are present
  std::vector<Item> items;
  std::vector<Check> checks;
};

ReceiptAnalysis analyze_receipt(const Layout& layout);

// A found field over layout positions `positions` (deduplicated, in page order): raw text, line
// indices, union box, confidence = mean line confidence x `match_quality`. value is left empty.
Field make_field(const Layout& layout, std::string name, ValueType type, std::vector<int> positions,
                 double match_quality);

// What the receipt rules read in one upper-cased line; the learned extractor uses them as features.
struct LineCues {
  bool company_suffix = false;  // SDN BHD, ENTERPRISE, TRADING, RESTAURANT, 有限公司, ...
  bool strong_suffix = false;   // a legal-entity suffix (SDN BHD, S/B, PLT, LTD, 公司)
  bool header_noise = false;    // TAX INVOICE, RECEIPT, WELCOME, ...
  bool address_stop = false;    // a label that ends an address (TEL, GST, DATE, ...) or a date
  bool phone = false;           // mostly a phone number
  bool registration = false;    // a company registration number line
  bool address_like = false;    // postcode, street words or a comma
  bool address_start = false;   // opens with a house number, lot or street, or has a postcode
};
LineCues line_cues(const std::string& upper);

// "99 SPEED MART S/B (519537-X)" -> "99 SPEED MART S/B"
std::string without_registration(const std::string& text);

// A value labelled by any of `key_texts` ("发票号码", "Invoice No"), found by position.
Field find_labelled_value(const Layout& layout, const std::string& name,
                          const std::vector<std::string>& key_texts);

}  // namespace edgeocr::extract
