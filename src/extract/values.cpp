#include "extract/values.h"

#include "ocr/utf8.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <regex>

namespace edgeocr::extract {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct CurrencySymbol {
  std::string_view text;
  std::string_view code;
  bool prefix, suffix;
};

// Longer spellings first so that "RMB" wins over "RM" and "US$" over "$".
constexpr std::array<CurrencySymbol, 15> kCurrencies{{
    {"RMB", "CNY", true, true}, {"CNY", "CNY", true, true}, {"MYR", "MYR", true, true},
    {"USD", "USD", true, true}, {"EUR", "EUR", true, true}, {"US$", "USD", true, false},
    {"HK$", "HKD", true, false}, {"S$", "SGD", true, false}, {"RM", "MYR", true, false},
    {"\xC2\xA5", "CNY", true, false},      // ¥
    {"\xEF\xBF\xA5", "CNY", true, false},  // ￥ (full width)
    {"\xE2\x82\xAC", "EUR", true, true},   // €
    {"\xE5\x85\x83", "CNY", false, true},  // 元
    {"$", "USD", true, false}, {"\xE5\x9C\x86", "JPY", false, true},  // 円
}};

// Currency symbol ending exactly at `end` (optionally followed by one space before the number).
const CurrencySymbol* currency_before(std::string_view text, size_t end, size_t& start) {
  size_t e = end;
  if (e > 0 && text[e - 1] == ' ') --e;
  for (const auto& c : kCurrencies) {
    if (!c.prefix || c.text.size() > e) continue;
    if (text.substr(e - c.text.size(), c.text.size()) != c.text) continue;
    size_t s = e - c.text.size();
    // An ASCII code must not be the tail of a longer word ("FORM 12.00" is not "RM 12.00").
    if (is_alpha(c.text[0]) && s > 0 && is_alpha(text[s - 1])) continue;
    start = s;
    return &c;
  }
  return nullptr;
}

const CurrencySymbol* currency_after(std::string_view text, size_t begin, size_t& end) {
  size_t b = begin;
  if (b < text.size() && text[b] == ' ') ++b;
  for (const auto& c : kCurrencies) {
    if (!c.suffix || text.substr(b, c.text.size()) != c.text) continue;
    size_t e = b + c.text.size();
    if (is_alpha(c.text[0]) && e < text.size() && is_alpha(text[e])) continue;
    end = e;
    return &c;
  }
  return nullptr;
}

// Checks that `groups` (digit runs split at grouping separators) form 1-3 digits then 3s.
bool valid_grouping(const std::vector<std::string>& groups) {
  if (groups.empty() || groups[0].empty() || groups[0].size() > 3) return false;
  for (size_t i = 1; i < groups.size(); ++i)
    if (groups[i].size() != 3) return false;
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) out.emplace_back();
    else out.back() += c;
  }
  return out;
}

int month_from_name(std::string name) {
  name = to_upper_ascii(name);
  static const std::array<const char*, 12> kMonths{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  for (int i = 0; i < 12; ++i)
    if (name.rfind(kMonths[static_cast<size_t>(i)], 0) == 0) return i + 1;
  return 0;
}

bool valid_date(int y, int m, int d) {
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[m - 1]) return false;
  if (m == 2 && d == 29) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (!leap) return false;
  }
  return true;
}

int full_year(const std::string& y) {
  int v = std::stoi(y);
  return y.size() == 2 ? 2000 + v : v;
}

std::string iso_date(int y, int m, int d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

}  // namespace

std::string two_decimals(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string trim(std::string_view text) {
  size_t b = 0, e = text.size();
  auto space_at = [&](size_t i) { return is_space(text[i]); };
  while (b < e && space_at(b)) ++b;
  while (e > b && space_at(e - 1)) --e;
  // Also strip the ideographic space U+3000 at either end.
  std::string out(text.substr(b, e - b));
  const std::string ideo = "\xE3\x80\x80";
  while (out.rfind(ideo, 0) == 0) out.erase(0, 3);
  while (out.size() >= 3 && out.compare(out.size() - 3, 3, ideo) == 0) out.resize(out.size() - 3);
  return out;
}

std::string collapse_spaces(std::string_view text) {
  std::string out;
  bool pending = false;
  for (char c : text) {
    if (is_space(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

std::string to_upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string utf8_prefix(std::string_view utf8, size_t max_bytes) {
  if (utf8.size() <= max_bytes) return std::string(utf8);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(utf8[cut]) & 0xC0) == 0x80) --cut;  // continuation byte
  return std::string(utf8.substr(0, cut));
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
      cp = c & 0x07;
    } else {
      out += 0xFFFD;
      ++i;
      continue;
    }
    if (i + len > s.size()) {
      out += 0xFFFD;
      break;
    }
    bool ok = true;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out += 0xFFFD;
      ++i;
      continue;
    }
    out += cp;
    i += len;
  }
  return out;
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  for (char32_t cp : text) ocr::append_utf8(out, cp);
  return out;
}

bool contains_cjk(std::string_view utf8) {
  for (char32_t cp : to_u32(utf8))
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return true;
  return false;
}

std::optional<double> parse_number(std::string_view text) {
  std::string s;
  for (char c : trim(text))
    if (c != ' ') s += c;
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.erase(0, 1);
  }
  if (s.empty() || !is_digit(s[0]) || !is_digit(s.back())) return std::nullopt;
  for (char c : s)
    if (!is_digit(c) && c != ',' && c != '.') return std::nullopt;
  size_t commas = 0, dots = 0;
  for (char c : s) {
    commas += c == ',';
    dots += c == '.';
  }
  std::string integer, fraction;
  if (commas && dots) {
    // The separator that comes last is the decimal point; the other one groups thousands.
    char dec = s.find_last_of(',') > s.find_last_of('.') ? ',' : '.';
    char group = dec == ',' ? '.' : ',';
    if ((dec == ',' ? commas : dots) != 1) return std::nullopt;
    size_t p = s.find(dec);
    integer = s.substr(0, p);
    fraction = s.substr(p + 1);
    if (fraction.find(group) != std::string::npos) return std::nullopt;
    auto groups = split(integer, group);
    if (!valid_grouping(groups)) return std::nullopt;
    integer.clear();
    for (auto& g : groups) integer += g;
  } else if (commas || dots) {
    char sep = commas ? ',' : '.';
    size_t count = commas ? commas : dots;
    auto groups = split(s, sep);
    if (count > 1) {
      if (!valid_grouping(groups)) return std::nullopt;
      for (auto& g : groups) integer += g;
    } else if (groups[1].size() <= 2) {
      integer = groups[0];
      fraction = groups[1];
    } else if (groups[1].size() == 3 && groups[0] != "0" && groups[0].size() <= 3) {
      // "1,234" / "25.000": one separator before exactly three digits groups thousands.
      integer = groups[0] + groups[1];
    } else if (groups[1].size() == 3 && groups[0] == "0") {
      integer.assign(1, '0');
      fraction = groups[1];
    } else {
      return std::nullopt;
    }
  } else {
    integer = s;
  }
  if (integer.empty() || integer.size() > 15) return std::nullopt;
  double v = std::stod(fraction.empty() ? integer : integer + "." + fraction);
  return negative ? -v : v;
}

std::vector<Money> find_money(std::string_view text, bool allow_integers) {
  std::vector<Money> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]) || (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.' ||
                                         text[i - 1] == ',' || text[i - 1] == ':' ||
                                         text[i - 1] == '/'))) {
      ++i;
      continue;
    }
    // Maximal run of digits and separators; a single space may separate thousand groups.
    size_t e = i;
    while (e < text.size() && (is_digit(text[e]) || text[e] == ',' || text[e] == '.')) ++e;
    size_t num_end = e;
    while (num_end > i && !is_digit(text[num_end - 1])) --num_end;
    std::string_view number = text.substr(i, num_end - i);
    size_t next = num_end;
    auto parsed = parse_number(number);
    bool has_decimals = number.size() >= 2 &&
                        (number[number.size() - 2] == '.' || number[number.size() - 2] == ',' ||
                         (number.size() >= 3 && (number[number.size() - 3] == '.' ||
                                                 number[number.size() - 3] == ',')));
    // Not part of a time, date, percentage, id or word ("A4", "12:30", "6%", "25/12").
    bool glued_before = i > 0 && is_alpha(text[i - 1]);
    bool glued_after = next < text.size() &&
                       (is_alpha(text[next]) || text[next] == '%' || text[next] == ':' ||
                        text[next] == '/' || (text[next] == '-' && next + 1 < text.size() &&
                                              is_digit(text[next + 1])));
    size_t prefix_start = i;
    const CurrencySymbol* prefix = currency_before(text, i, prefix_start);
    if (prefix && glued_before) {
      // "RM12.00" glues letters to the digits legitimately.
      glued_before = prefix_start > 0 && is_alpha(text[prefix_start - 1]);
    }
    size_t suffix_end = next;
    const CurrencySymbol* suffix = nullptr;
    if (!prefix) suffix = currency_after(text, next, suffix_end);
    if (suffix && glued_after && is_alpha(text[next])) glued_after = false;
    bool currency = prefix || suffix;
    if (!parsed || glued_before || glued_after || (!has_decimals && !allow_integers && !currency)) {
      i = e;
      continue;
    }
    Money m;
    m.amount = *parsed;
    m.number_text = std::string(number);
    size_t begin = prefix ? prefix_start : i;
    size_t end = suffix ? suffix_end : next;
    // A minus sign or accounting parentheses directly around the amount make it negative.
    if (begin > 0 && text[begin - 1] == '-' && (begin < 2 || !is_digit(text[begin - 2]))) {
      --begin;
      m.amount = -m.amount;
    } else if (begin > 0 && text[begin - 1] == '(' && end < text.size() && text[end] == ')') {
      --begin;
      ++end;
      m.amount = -m.amount;
    }
    if (prefix) {
      m.currency_symbol = std::string(prefix->text);
      m.currency_code = std::string(prefix->code);
    } else if (suffix) {
      m.currency_symbol = std::string(suffix->text);
      m.currency_code = std::string(suffix->code);
    }
    m.printed = std::string(text.substr(begin, end - begin));
    m.normalized = two_decimals(m.amount);
    m.span = {begin, end};
    out.push_back(std::move(m));
    i = e;
  }
  return out;
}

std::optional<Money> parse_money(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  auto found = find_money(t, /*allow_integers=*/true);
  if (found.size() != 1 || found[0].span.begin != 0 || found[0].span.end != t.size())
    return std::nullopt;
  return found[0];
}

namespace {

struct DateCandidate {
  size_t pos = std::string::npos;
  Date date;
};

void consider(DateCandidate& best, size_t pos, size_t len, int y, int m, int d,
              std::string_view text) {
  if (!valid_date(y, m, d) || pos >= best.pos) return;
  best.pos = pos;
  best.date.year = y;
  best.date.month = m;
  best.date.day = d;
  best.date.printed = std::string(text.substr(pos, len));
  best.date.iso = iso_date(y, m, d);
  best.date.span = {pos, pos + len};
}

// Calls on_match(match, position, length) for each match of `re` in `s` whose preceding byte
// does not satisfy `glued`: a date run on from a longer number or word is not one.
template <typename Glued, typename OnMatch>
void for_each_match(const std::string& s, const std::regex& re, Glued glued, OnMatch on_match) {
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    auto pos = static_cast<size_t>(it->position(0));
    if (pos > 0 && glued(s[pos - 1])) continue;
    on_match(*it, pos, static_cast<size_t>(it->length(0)));
  }
}

}  // namespace

// The regexes below run over UTF-8 bytes: they use only ASCII classes plus literal CJK
// sequences, which match byte for byte.
std::optional<Date> find_date(std::string_view text) {
  static const std::regex kChinese(
      R"((\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*(?:日|号)?)");
  static const std::regex kYmd(R"((\d{4})\s?([-/.])\s?(\d{1,2})\s?\2\s?(\d{1,2})(?!\d))");
  // The year may run straight into a clock when OCR drops the space: "29/12/201710:31".
  static const std::regex kDmy(
      R"((\d{1,2})([-/.])(\d{1,2})\2(\d{4}(?=\d{1,2}:\d{2})|(?:\d{4}|\d{2})(?!\d)))");
  static const std::regex kDayMonthName(
      R"((\d{1,2})(?:st|nd|rd|th)?[\s\-./]*(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?[\s\-./,]*(\d{4}(?=\d{1,2}:\d{2})|(?:\d{4}|\d{2})(?!\d)))",
      std::regex::icase);
  static const std::regex kMonthNameDay(
      R"((JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})(?!\d))",
      std::regex::icase);
  DateCandidate best;
  std::string s(text);
  auto digit = [](char c) { return is_digit(c); };
  for_each_match(s, kChinese, digit, [&](const std::smatch& m, size_t pos, size_t len) {
    consider(best, pos, len, std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), text);
  });
  for_each_match(s, kYmd, digit, [&](const std::smatch& m, size_t pos, size_t len) {
    consider(best, pos, len, std::stoi(m[1]), std::stoi(m[3]), std::stoi(m[4]), text);
  });
  auto digit_or_separator = [](char c) { return is_digit(c) || c == '.' || c == '/'; };
  for_each_match(s, kDmy, digit_or_separator, [&](const std::smatch& m, size_t pos, size_t len) {
    int a = std::stoi(m[1]), b = std::stoi(m[3]), y = full_year(m[4]);
    // Day first (the common convention outside the US); month first only if day-first is impossible.
    if (valid_date(y, b, a))
      consider(best, pos, len, y, b, a, text);
    else
      consider(best, pos, len, y, a, b, text);
  });
  for_each_match(s, kDayMonthName, digit, [&](const std::smatch& m, size_t pos, size_t len) {
    consider(best, pos, len, full_year(m[3]), month_from_name(m[2]), std::stoi(m[1]), text);
  });
  for_each_match(s, kMonthNameDay, [](char c) { return is_alpha(c); },
                 [&](const std::smatch& m, size_t pos, size_t len) {
                   consider(best, pos, len, std::stoi(m[3]), month_from_name(m[1]), std::stoi(m[2]), text);
                 });
  if (best.pos == std::string::npos) return std::nullopt;
  // Trim trailing separators/spaces that the patterns may have swallowed.
  while (!best.date.printed.empty() && is_space(best.date.printed.back())) {
    best.date.printed.pop_back();
    --best.date.span.end;
  }
  return best.date;
}

std::optional<Time> find_time(std::string_view text) {
  static const std::regex kClock(
      R"((\d{1,2})\s?:\s?(\d{2})(?:\s?:\s?(\d{2}))?(?:\s?([AaPp])\.?[Mm]\.?)?)");
  static const std::regex kChinese(R"((上午|下午|晚上)?(\d{1,2})\s*(?:时|點|点|:)\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?)");
  std::string s(text);
  std::optional<Time> best;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kClock); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    auto pos = static_cast<size_t>(m.position(0));
    auto end = pos + static_cast<size_t>(m.length(0));
    if ((pos > 0 && (is_digit(s[pos - 1]) || s[pos - 1] == ':' || s[pos - 1] == '.')) ||
        (end < s.size() && is_digit(s[end])))
      continue;
    Time t;
    t.hour = std::stoi(m[1]);
    t.minute = std::stoi(m[2]);
    t.has_seconds = m[3].matched;
    t.second = t.has_seconds ? std::stoi(m[3]) : 0;
    if (m[4].matched) {
      bool pm = m[4].str()[0] == 'P' || m[4].str()[0] == 'p';
      if (t.hour < 1 || t.hour > 12) continue;
      if (pm && t.hour != 12) t.hour += 12;
      if (!pm && t.hour == 12) t.hour = 0;
    }
    if (t.hour > 23 || t.minute > 59 || t.second > 59) continue;
    t.printed = m.str(0);
    t.span = {pos, end};
    best = t;
    break;
  }
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kChinese); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    auto pos = static_cast<size_t>(m.position(0));
    if (best && best->span.begin <= pos) break;
    Time t;
    t.hour = std::stoi(m[2]);
    t.minute = std::stoi(m[3]);
    t.has_seconds = m[4].matched;
    t.second = t.has_seconds ? std::stoi(m[4]) : 0;
    if (m[1].matched && m[1].str() != "上午" && t.hour < 12) t.hour += 12;
    if (t.hour > 23 || t.minute > 59 || t.second > 59) continue;
    t.printed = m.str(0);
    t.span = {pos, pos + static_cast<size_t>(m.length(0))};
    best = t;
    break;
  }
  if (!best) return std::nullopt;
  char buf[48];
  if (best->has_seconds)
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", best->hour, best->minute, best->second);
  else
    std::snprintf(buf, sizeof buf, "%02d:%02d", best->hour, best->minute);
  best->normalized = buf;
  return best;
}

std::optional<Phone> find_phone(std::string_view text) {
  static const std::regex kPhone(R"((\+?\(?\d[\d\s\-().]{5,20}\d))");
  std::string s(text);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kPhone); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    auto pos = static_cast<size_t>(m.position(0));
    if (pos > 0 && (is_digit(s[pos - 1]) || is_alpha(s[pos - 1]))) continue;
    std::string printed = m.str(0);
    // Dates and amounts look like digit groups too.
    if (find_date(printed) || printed.find('.') != std::string::npos) continue;
    std::string digits;
    for (char c : printed)
      if (is_digit(c)) digits += c;
    if (digits.size() < 7 || digits.size() > 15) continue;
    Phone p;
    p.printed = trim(printed);
    p.normalized = (printed[0] == '+' ? "+" : "") + digits;
    p.span = {pos, pos + p.printed.size()};
    return p;
  }
  return std::nullopt;
}

std::optional<TaxId> find_tax_id(std::string_view text) {
  static const std::regex kLabelled(
      R"((GST\s*(?:REG(?:ISTRATION|\.)?\s*)?(?:ID\.?\s*)?(?:NO\.?|#|NUMBER)?|SST\s*(?:REG(?:\.)?\s*)?(?:ID\.?\s*)?(?:NO\.?)?|TAX\s*(?:ID|REG(?:\.|ISTRATION)?)\s*(?:NO\.?|NUMBER)?|TIN|VAT\s*(?:REG\.?\s*)?(?:NO\.?|ID)?|ABN|CO\.?\s*REG\.?\s*(?:NO\.?)?|BRN|税号|纳税人识别号|统一社会信用代码)\s*(?::|：|\.|#)?\s*([A-Z0-9][A-Z0-9\-]{5,24}))",
      std::regex::icase);
  static const std::regex kUscc(R"((?:^|[^A-Z0-9])([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![A-Z0-9]))");
  std::string s(text);
  std::smatch m;
  if (std::regex_search(s, m, kLabelled)) {
    auto label_pos = static_cast<size_t>(m.position(1));
    if (label_pos == 0 || !is_alpha(s[label_pos - 1])) {
      std::string value = m.str(2);
      bool has_digit = false;
      for (char c : value) has_digit |= is_digit(c);
      if (has_digit) {
        TaxId t;
        t.label = trim(m.str(1));
        t.value = value;
        auto pos = static_cast<size_t>(m.position(2));
        t.span = {pos, pos + value.size()};
        return t;
      }
    }
  }
  if (std::regex_search(s, m, kUscc)) {
    TaxId t;
    t.value = m.str(1);
    auto pos = static_cast<size_t>(m.position(1));
    t.span = {pos, pos + t.value.size()};
    return t;
  }
  return std::nullopt;
}

std::optional<QuantityPrice> find_quantity_price(std::string_view text) {
  static const char* kCur = R"((?:RM|MYR|RMB|US\$|\$|¥|￥|€)?\s?)";
  static const std::regex kQtyTimesPrice(std::string(R"((?:^|[^\d.,])@?(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:[xX*@]|×)\s*)") +
                                         kCur + R"((\d{1,7}(?:[.,]\d{1,2})?)(?![\d%]))");
  static const std::regex kPriceTimesQty(R"((?:^|[^\d.,])(\d{1,7}[.,]\d{2})\s*(?:[*xX]|×)\s*(\d{1,4})(?![\d.,]))");
  static const std::regex kChinese(
      R"(数量\s*(?::|：)?\s*(\d{1,4}(?:\.\d{1,3})?).*?单价\s*(?::|：)?\s*(?:¥|￥)?\s*(\d{1,7}(?:\.\d{1,2})?))");
  std::string s(text);
  std::smatch m;
  std::optional<QuantityPrice> qp;
  size_t end = 0;
  if (std::regex_search(s, m, kChinese)) {
    qp = QuantityPrice{};
    qp->quantity = std::stod(m.str(1));
    qp->unit_price = *parse_number(m.str(2));
    qp->span = {static_cast<size_t>(m.position(0)),
                static_cast<size_t>(m.position(0) + m.length(0))};
  } else if (std::regex_search(s, m, kPriceTimesQty)) {
    qp = QuantityPrice{};
    qp->unit_price = *parse_number(m.str(1));
    qp->quantity = std::stod(m.str(2));
    qp->span = {static_cast<size_t>(m.position(1)),
                static_cast<size_t>(m.position(0) + m.length(0))};
  } else if (std::regex_search(s, m, kQtyTimesPrice)) {
    auto q = parse_number(m.str(1));
    auto p = parse_number(m.str(2));
    if (!q || !p) return std::nullopt;
    qp = QuantityPrice{};
    qp->quantity = *q;
    qp->unit_price = *p;
    qp->span = {static_cast<size_t>(m.position(1)),
                static_cast<size_t>(m.position(0) + m.length(0))};
  }
  if (!qp || qp->quantity <= 0) return std::nullopt;
  end = qp->span.end;
  // An amount after the expression ("= 7.00", "  7.00 SR") is the line total.
  auto rest = find_money(std::string_view(s).substr(end));
  if (!rest.empty()) qp->amount = rest.front().amount;
  return qp;
}

}  // namespace edgeocr::extract
