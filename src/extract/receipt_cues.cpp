// Line cues of the receipt rules: what one upper-cased line looks like (a company suffix, header
// noise, an address, a phone number, a registration number).
#include <algorithm>

#include "extract/receipt_rules.h"

namespace edgeocr::extract {
namespace {

bool looks_like_registration(const std::string& upper) {
  static const std::regex kReg(R"(^\(?\s*(CO\.?\s*(REG|NO)\S*\s*[:.]?\s*)?[0-9]{3,}[-.\s]?[A-Z]?\s*\)?\.?$)");
  static const std::regex kRegWord(R"(^\(?\s*(CO|COMPANY|ROC|BRN)\.?\s*(REG|NO|NUMBER)\b.*$)");
  return std::regex_search(upper, kReg) || std::regex_search(upper, kRegWord);
}

}  // namespace

ReceiptPage::ReceiptPage(const Layout& page_layout) : layout(page_layout), lines(page_layout.lines) {
  for (const auto& l : lines) upper.push_back(to_upper_ascii(l.text));
}

bool has_key(const std::string& text, std::string_view key, size_t* end, size_t* begin) {
  size_t e = find_key(text, key, begin);
  if (e == std::string_view::npos) return false;
  if (end) *end = e;
  return true;
}

bool has_any(const std::string& text, std::initializer_list<std::string_view> keys) {
  return std::any_of(keys.begin(), keys.end(), [&](std::string_view k) { return has_key(text, k); });
}

void set_money(Field& f, const Money& m) {
  bool glued = m.printed.find(' ') == std::string::npos;
  f.value = glued ? m.printed : m.number_text;
  f.display = m.printed;
  f.normalized = m.normalized;
  f.currency = m.currency_code;
}

bool mostly_letters(const std::string& text) {
  int letters = 0, total = 0;
  for (char32_t c : to_u32(text)) {
    if (c == ' ') continue;
    ++total;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x3000) ++letters;
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

// "99 SPEED MART S/B (519537-X)" -> "99 SPEED MART S/B"
std::string without_registration(const std::string& text) {
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

}  // namespace edgeocr::extract
