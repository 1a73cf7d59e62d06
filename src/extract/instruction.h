// Maps a request (schema, explicit field list, natural-language instruction in Chinese or
// English) to the fields to extract.
#pragma once

#include <string>
#include <vector>

#include "extract/extract.h"

namespace edgeocr::extract {

// Canonical fields the receipt analysis knows.
inline constexpr const char* kReceiptSchemaFields[] = {
    "company", "address", "date", "time", "items", "subtotal", "tax", "total", "payment_method"};

struct FieldSpec {
  std::string name;        // output name, as the caller wrote it ("total_amount", "发票号码")
  std::string canonical;   // "total", "date", ... or "" for a custom key found by key text
  std::vector<std::string> key_texts;  // custom keys: texts that label the value on the page
};

// Throws UnsupportedInstruction / InvalidRequest.
std::vector<FieldSpec> resolve_specs(const ExtractRequest& request);

// The canonical field a name or phrase denotes ("总金额" -> "total", "Invoice No." -> ""), or
// "" if none. Exposed for tests.
std::string canonical_field(const std::string& phrase);

}  // namespace edgeocr::extract
