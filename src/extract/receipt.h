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

// A value labelled by any of `key_texts` ("发票号码", "Invoice No"), found by position.
Field find_labelled_value(const Layout& layout, const std::string& name,
                          const std::vector<std::string>& key_texts);

}  // namespace edgeocr::extract
