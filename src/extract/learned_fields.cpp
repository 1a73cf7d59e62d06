#include "extract/learned_fields.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "extract/lexicon.h"
#include "extract/values.h"

namespace edgeocr::extract {
namespace {

constexpr std::string_view kFormat = "edgeocr-fields 3";
// Spans considered: names start within the first or the last lines of the page (some shops
// print theirs at the foot); addresses are 1-6 lines near the top.
constexpr size_t kCompanyStartLines = 16, kCompanyFootLines = 4, kCompanyMaxLines = 3;
constexpr size_t kAddressStartLines = 24, kAddressMaxLines = 6;

struct Candidate {
  std::string value;
  std::vector<int> positions;  // in Layout::lines
  std::vector<float> features;
};

bool has_word(const std::string& upper, std::string_view key) { return find_key(upper, key) != std::string::npos; }

// Keyword groups that label amounts and dates on receipts.
const std::vector<std::vector<std::string_view>> kKeywordGroups = {
    {"TOTAL", "合计", "合計", "总计", "總計", "TTL"},
    {"SUBTOTAL", "SUB TOTAL", "SUB-TOTAL", "小计"},
    {"GRAND"},
    {"NETT", "NET"},
    {"ROUND"},
    {"GST", "TAX", "SST", "税"},
    {"CASH", "现金"},
    {"CHANGE", "找零", "BALANCE"},
    {"TENDER", "PAID", "PAYMENT", "VISA", "CARD", "MASTER"},
    {"AMOUNT", "AMT", "金额"},
    {"DUE", "PAYABLE", "应付", "实付"},
    {"QTY", "QUANTITY", "数量"},
    {"DISCOUNT", "SAVING", "DISC"},
    {"RM", "MYR", "$"},
    {"INCL"},
    {"EXCL"},
    {"DEPOSIT"},
    {"DATE", "日期"},
    {"TEL", "PHONE", "FAX"},
    {"ITEM"},
};

void add_keyword_flags(const std::string& upper, std::vector<float>& f) {
  for (const auto& group : kKeywordGroups)
    f.push_back(std::any_of(group.begin(), group.end(), [&](std::string_view k) { return has_word(upper, k); }) ? 1.f
                                                                                                                 : 0.f);
}

bool has_decimal_money(const std::string& text) {
  auto moneys = find_money(text);
  return std::any_of(moneys.begin(), moneys.end(), [](const Money& m) {
    return m.number_text.find('.') != std::string::npos || m.number_text.find(',') != std::string::npos;
  });
}

struct Page {
  const Layout& layout;
  const ReceiptAnalysis& rules;
  const Lexicon& lexicon;
  const std::map<std::string, KnownValues>& known;
  const std::map<std::string, std::string>* own_truth;  // a training page's labels, left out of `known`
  std::vector<std::string> upper;
  std::vector<std::string> repaired;  // line texts as names and addresses are written
  std::vector<std::string> address_part;  // of a line that goes on with a phone or tax label, else ""
  std::vector<LineCues> cues;
  std::vector<bool> date, money;
  std::vector<std::vector<float>> line;  // per line features
  float top = 0, bottom = 1, left = 0, right = 1, median_height = 1;
  int first_strong = -1, first_address_start = -1, first_phone = -1, first_date = -1, first_total = -1;
  std::map<std::string, std::string> rule_keys;              // field -> match key of the rules' value
  std::map<std::string, std::set<int>> rule_positions;       // field -> layout positions

  Page(const Layout& l, const ReceiptAnalysis& r, const Lexicon& words, const std::map<std::string, KnownValues>& values,
       const std::map<std::string, std::string>* truth = nullptr)
      : layout(l), rules(r), lexicon(words), known(values), own_truth(truth) {
    const auto& lines = layout.lines;
    const size_t n = lines.size();
    if (n) {
      top = left = 1e30f;
      bottom = right = -1e30f;
    }
    std::vector<float> heights;
    for (const auto& ln : lines) {
      top = std::min(top, ln.top);
      bottom = std::max(bottom, ln.bottom);
      left = std::min(left, ln.left);
      right = std::max(right, ln.right);
      heights.push_back(ln.height());
    }
    if (!heights.empty()) {
      std::nth_element(heights.begin(), heights.begin() + static_cast<long>(heights.size() / 2), heights.end());
      median_height = std::max(1.f, heights[heights.size() / 2]);
    }
    for (size_t p = 0; p < n; ++p) {
      upper.push_back(to_upper_ascii(lines[p].text));
      // Only the lines names and addresses are taken from (repairing costs lookups).
      const bool span_line = p < std::max(kCompanyStartLines + kCompanyMaxLines, kAddressStartLines + kAddressMaxLines) ||
                             p + kCompanyFootLines >= n;
      repaired.push_back(trim(span_line ? lexicon.repair(lines[p].text) : lines[p].text));
      cues.push_back(line_cues(upper.back()));
      address_part.emplace_back();
      for (auto k : {"TEL", "PHONE", "FAX", "H/P", "EMAIL", "GST", "T:"}) {
        size_t begin = 0;
        if (p < kAddressStartLines + kAddressMaxLines && find_key(upper.back(), k, &begin) != std::string::npos &&
            begin > 0) {
          address_part.back() = trim(lines[p].text.substr(0, begin));
          break;
        }
      }
      date.push_back(find_date(lines[p].text).has_value());
      money.push_back(has_decimal_money(lines[p].text));
      auto first = [&](int& slot, bool hit) {
        if (slot < 0 && hit) slot = static_cast<int>(p);
      };
      first(first_strong, cues.back().strong_suffix);
      first(first_address_start, cues.back().address_start && !cues.back().registration);
      first(first_phone, cues.back().phone || has_word(upper.back(), "TEL"));
      first(first_date, date.back());
      first(first_total, has_word(upper.back(), "TOTAL"));
    }
    for (const auto& [name, field] : rules.fields) {
      rule_keys[name] = field_match_key(field.value);
      for (size_t p = 0; p < n; ++p)
        if (std::find(field.line_indices.begin(), field.line_indices.end(), lines[p].index) !=
            field.line_indices.end())
          rule_positions[name].insert(static_cast<int>(p));
    }
    for (size_t p = 0; p < n; ++p) line.push_back(line_features(p));
  }

  float rel_x(float x) const { return (x - left) / std::max(1.f, right - left); }
  float rel_y(float y) const { return (y - top) / std::max(1.f, bottom - top); }
  float gap_above(size_t p) const {
    return p == 0 ? 10.f : std::clamp((layout.lines[p].top - layout.lines[p - 1].bottom) / median_height, -5.f, 10.f);
  }
  float gap_below(size_t p) const {
    return p + 1 >= layout.lines.size()
               ? 10.f
               : std::clamp((layout.lines[p + 1].top - layout.lines[p].bottom) / median_height, -5.f, 10.f);
  }

  std::vector<float> line_features(size_t p) const {
    const auto& ln = layout.lines[p];
    const auto n = static_cast<float>(layout.lines.size());
    std::vector<float> f;
    f.push_back(static_cast<float>(p) / n);
    f.push_back(std::min(60.f, static_cast<float>(p)));
    f.push_back(std::min(60.f, n - 1 - static_cast<float>(p)));
    f.push_back(rel_y(ln.top));
    f.push_back(ln.height() / median_height);
    f.push_back(rel_x(ln.cx()));
    f.push_back(rel_x(ln.left));
    f.push_back(rel_x(ln.right));
    f.push_back((ln.right - ln.left) / std::max(1.f, right - left));
    auto u32 = to_u32(ln.text);
    float chars = 0, letters = 0, digits = 0, spaces = 0, punct = 0, lower = 0, cjk = 0;
    for (char32_t c : u32) {
      ++chars;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ++letters;
      if (c >= 'a' && c <= 'z') ++lower;
      if (c >= '0' && c <= '9') ++digits;
      if (c == ' ') ++spaces;
      if (c < 0x80 && std::ispunct(static_cast<int>(c))) ++punct;
      if (c >= 0x3000) ++cjk;
    }
    float d = std::max(1.f, chars);
    f.insert(f.end(), {chars, letters / d, digits / d, spaces / d, punct / d, letters ? lower / letters : 0.f,
                       cjk / d, spaces + 1});
    const auto& c = cues[p];
    for (bool b : {c.company_suffix, c.strong_suffix, c.header_noise, c.address_stop, c.phone, c.registration,
                   c.address_like, c.address_start})
      f.push_back(b ? 1.f : 0.f);
    f.push_back(date[p] ? 1.f : 0.f);
    f.push_back(money[p] ? 1.f : 0.f);
    f.push_back(find_time(ln.text) ? 1.f : 0.f);
    f.push_back(find_phone(ln.text) ? 1.f : 0.f);
    f.push_back(static_cast<float>(layout.rows[static_cast<size_t>(ln.row)].size()));
    f.push_back(gap_above(p));
    f.push_back(gap_below(p));
    f.push_back(ln.confidence);
    return f;
  }

  // Features of the line at `p`, or a marker + zeros where there is none (page edge).
  void add_line(long p, std::vector<float>& f) const {
    const size_t width = line.empty() ? 0 : line.front().size();
    bool exists = p >= 0 && static_cast<size_t>(p) < line.size();
    f.push_back(exists ? 1.f : 0.f);
    if (exists) f.insert(f.end(), line[static_cast<size_t>(p)].begin(), line[static_cast<size_t>(p)].end());
    else f.insert(f.end(), width, 0.f);
  }

  // The labelled value of `field` written with the letters and digits of `text`, if any.
  std::optional<KnownValues::Match> known_value(const std::string& field, const std::string& text) const {
    auto it = known.find(field);
    if (it == known.end()) return std::nullopt;
    std::string_view exclude;
    if (own_truth)
      if (auto t = own_truth->find(field); t != own_truth->end()) exclude = t->second;
    return it->second.find(text, exclude);
  }

  float offset(long from, int to) const { return to < 0 ? -99.f : static_cast<float>(from - to); }

  // How a candidate relates to the rules' pick for `field`.
  void add_rule_relation(const std::string& field, const std::string& value, const std::vector<int>& positions,
                         std::vector<float>& f) const {
    auto key = rule_keys.find(field);
    f.push_back(key == rule_keys.end() ? -1.f : key->second == field_match_key(value) ? 1.f : 0.f);
    auto pos = rule_positions.find(field);
    float overlap = 0;
    if (pos != rule_positions.end())
      for (int p : positions) overlap += pos->second.count(p) ? 1.f : 0.f;
    f.push_back(pos == rule_positions.end() ? -1.f : overlap / static_cast<float>(positions.size()));
    f.push_back(pos == rule_positions.end() ? -1.f
                                            : static_cast<float>(pos->second.size()) -
                                                  static_cast<float>(positions.size()));
  }
};

// A run of exactly five digits (a Malaysian postcode); a plain scan, as this runs per candidate.
bool has_postcode(const std::string& text) {
  size_t run = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    bool digit = i < text.size() && text[i] >= '0' && text[i] <= '9';
    if (digit) ++run;
    else if (run == 5) return true;
    else run = 0;
    if (!digit) run = 0;
  }
  return false;
}

void span_features(const Page& page, size_t s, size_t e, int variant, const std::string& value, const char* field,
                   std::vector<float>& f) {
  f.push_back(static_cast<float>(e - s + 1));
  f.push_back(static_cast<float>(variant));
  page.add_line(static_cast<long>(s), f);
  page.add_line(static_cast<long>(e), f);
  page.add_line(static_cast<long>(s) - 1, f);
  page.add_line(static_cast<long>(e) + 1, f);
  float counts[8] = {};
  float max_gap = 0, min_cx = 1, max_cx = 0, height = 0, dates = 0, moneys = 0;
  for (size_t p = s; p <= e; ++p) {
    const auto& c = page.cues[p];
    bool b[8] = {c.company_suffix, c.strong_suffix, c.header_noise, c.address_stop,
                 c.phone,          c.registration,  c.address_like, c.address_start};
    for (int i = 0; i < 8; ++i) counts[i] += b[i] ? 1.f : 0.f;
    if (p > s) max_gap = std::max(max_gap, page.gap_above(p));
    float cx = page.rel_x(page.layout.lines[p].cx());
    min_cx = std::min(min_cx, cx);
    max_cx = std::max(max_cx, cx);
    height += page.layout.lines[p].height() / page.median_height;
    dates += page.date[p] ? 1.f : 0.f;
    moneys += page.money[p] ? 1.f : 0.f;
  }
  f.insert(f.end(), std::begin(counts), std::end(counts));
  f.insert(f.end(), {max_gap, max_cx - min_cx, height / static_cast<float>(e - s + 1), dates, moneys});
  f.push_back(has_postcode(value) ? 1.f : 0.f);
  f.push_back(static_cast<float>(std::count(value.begin(), value.end(), ',')));
  f.push_back(!value.empty() && (value.back() == '.' || value.back() == ',') ? 1.f : 0.f);
  f.push_back(static_cast<float>(to_u32(value).size()));
  auto sl = static_cast<long>(s), el = static_cast<long>(e);
  for (int anchor : {page.first_strong, page.first_address_start, page.first_phone, page.first_date,
                     page.first_total}) {
    f.push_back(page.offset(sl, anchor));
    f.push_back(page.offset(el, anchor));
  }
  for (const char* other : {"company", "address"}) {
    auto pos = page.rule_positions.find(other);
    f.push_back(pos == page.rule_positions.end() ? -99.f : page.offset(sl, *pos->second.begin()));
    f.push_back(pos == page.rule_positions.end() ? -99.f : page.offset(el, *pos->second.rbegin()));
  }
  std::vector<int> positions;
  for (size_t p = s; p <= e; ++p) positions.push_back(static_cast<int>(p));
  page.add_rule_relation(field, value, positions, f);
}

// Names and addresses: consecutive lines, repaired, joined by one space, punctuation spaced as
// key fields write it. With `comma_joins`, a line that ends in a letter or digit gets a comma
// before the next (the detector often leaves a line's last comma outside its box).
std::string joined(const Page& page, size_t s, size_t e, const std::string& last_line, bool comma_joins = false) {
  std::string out;
  for (size_t p = s; p <= e; ++p) {
    if (!out.empty()) {
      if (comma_joins && std::isalnum(static_cast<unsigned char>(out.back()))) out += ',';
      out += ' ';
    }
    out += p == e ? last_line : page.repaired[p];
  }
  return normalize_field_punctuation(out);
}
std::string joined(const Page& page, size_t s, size_t e) { return joined(page, s, e, page.repaired[e]); }

// The lines exactly as read, joined by one space: right where the reading is (labelled lines,
// clean print) and the shop writes its name or address as printed, which repair and respacing
// would change ("TIMELESS" is no "TIME LESS").
std::string joined_as_read(const Page& page, size_t s, size_t e, std::string_view last_line) {
  std::string out;
  for (size_t p = s; p <= e; ++p) {
    std::string line = trim(p == e ? std::string(last_line) : page.layout.lines[p].text);
    if (line.empty()) continue;
    if (!out.empty()) out += ' ';
    out += line;
  }
  return out;
}

// One way to read a span: the text and the flags that say how it was made.
struct Reading {
  std::string value;
  std::vector<float> flags;
};

// Adds the labelled values that the readings spell with other punctuation or spacing, and gives
// every reading two features: whether it is such a value and how many labels wrote it so.
void add_known_readings(const Page& page, const std::string& field, std::vector<Reading>& readings) {
  const size_t flag_count = readings.empty() ? 0 : readings.front().flags.size();
  std::vector<KnownValues::Match> matches;
  for (const auto& r : readings)
    if (auto m = page.known_value(field, r.value))
      if (std::none_of(matches.begin(), matches.end(), [&](const auto& x) { return x.value == m->value; }))
        matches.push_back(std::move(*m));
  for (auto& r : readings) {
    int count = 0;
    for (const auto& m : matches)
      if (field_match_key(m.value) == field_match_key(r.value)) count = std::max(count, m.count);
    r.flags.insert(r.flags.end(), {0.f, static_cast<float>(count)});
  }
  for (auto& m : matches) {
    if (std::any_of(readings.begin(), readings.end(),
                    [&](const Reading& r) { return field_match_key(r.value) == field_match_key(m.value); }))
      continue;
    std::vector<float> flags(flag_count, 0.f);
    flags.insert(flags.end(), {1.f, static_cast<float>(m.count)});
    readings.push_back({std::move(m.value), std::move(flags)});
  }
}

std::vector<Candidate> company_candidates(const Page& page) {
  std::vector<Candidate> out;
  const size_t n = page.layout.lines.size();
  for (size_t s = 0; s < n; ++s) {
    if (s >= kCompanyStartLines && s + kCompanyFootLines < n) continue;
    for (size_t e = s; e < std::min(n, s + kCompanyMaxLines); ++e) {
      if (page.date[e] || page.money[e]) break;
      // As repaired, without a registration number, and as read.
      std::string value = joined(page, s, e);
      std::string stripped = without_registration(value);
      std::string as_read = joined_as_read(page, s, e, page.layout.lines[e].text);
      std::vector<Reading> readings;
      if (!value.empty()) readings.push_back({value, {0.f, 0.f}});
      if (!stripped.empty() && stripped != value) readings.push_back({stripped, {1.f, 0.f}});
      if (!as_read.empty() && as_read != value) readings.push_back({as_read, {0.f, 1.f}});
      add_known_readings(page, "company", readings);
      for (auto& r : readings) {
        Candidate c{std::move(r.value), {}, {}};
        for (size_t p = s; p <= e; ++p) c.positions.push_back(static_cast<int>(p));
        span_features(page, s, e, static_cast<int>(r.flags[0]), c.value, "company", c.features);
        c.features.insert(c.features.end(), r.flags.begin() + 1, r.flags.end());
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

std::vector<Candidate> address_candidates(const Page& page) {
  std::vector<Candidate> out;
  const size_t n = page.layout.lines.size();
  for (size_t s = 0; s < std::min(n, kAddressStartLines); ++s) {
    if (page.date[s] || page.money[s]) continue;
    for (size_t e = s; e < std::min(n, s + kAddressMaxLines); ++e) {
      if (page.money[e]) break;
      std::string value = joined(page, s, e);
      const std::string& partial = page.address_part[e];
      // Lines that end without punctuation inside the span, and commas with and without a space
      // after them, as read.
      float bare_ends = 0, spaced_commas = 0, tight_commas = 0;
      for (size_t p = s; p < e; ++p)
        bare_ends += !page.repaired[p].empty() && std::isalnum(static_cast<unsigned char>(page.repaired[p].back()));
      for (size_t i = 0; i + 1 < value.size(); ++i)
        if (value[i] == ',') (value[i + 1] == ' ' ? spaced_commas : tight_commas) += 1;
      for (int variant = 0; variant < 2; ++variant) {
        if (variant && partial.empty()) continue;
        const std::string last = variant ? trim(page.lexicon.repair(partial)) : page.repaired[e];
        // Readings of one span: lines joined as read or with a comma where a line ends bare, and
        // commas as read or all spaced where some are; the learner weighs them.
        std::vector<Reading> readings;
        for (bool comma_joins : {false, true}) {
          if (comma_joins && bare_ends == 0) continue;
          std::string v = joined(page, s, e, last, comma_joins);
          std::string spaced = space_commas(v);
          if (spaced != v) readings.push_back({spaced, {comma_joins ? 1.f : 0.f, 1.f, 0.f}});
          readings.push_back({std::move(v), {comma_joins ? 1.f : 0.f, 0.f, 0.f}});
        }
        std::string as_read = joined_as_read(page, s, e, variant ? partial : page.layout.lines[e].text);
        if (!as_read.empty() && std::none_of(readings.begin(), readings.end(),
                                             [&](const Reading& r) { return r.value == as_read; }))
          readings.push_back({std::move(as_read), {0.f, 0.f, 1.f}});
        add_known_readings(page, "address", readings);
        for (auto& r : readings) {
          Candidate c{std::move(r.value), {}, {}};
          for (size_t p = s; p <= e; ++p) c.positions.push_back(static_cast<int>(p));
          span_features(page, s, e, variant, c.value, "address", c.features);
          c.features.insert(c.features.end(), r.flags.begin(), r.flags.end());
          c.features.insert(c.features.end(), {bare_ends, spaced_commas, tight_commas});
          out.push_back(std::move(c));
        }
      }
      if (page.date[e]) break;
    }
  }
  return out;
}

bool spelled(const Date& d) {
  return std::any_of(d.printed.begin(), d.printed.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

std::vector<Candidate> date_candidates(const Page& page) {
  struct Hit {
    size_t line;
    Date date;
  };
  std::vector<Hit> hits;
  for (size_t p = 0; p < page.layout.lines.size(); ++p) {
    std::string_view text = page.layout.lines[p].text;
    size_t base = 0;
    while (base < text.size()) {
      auto d = find_date(text.substr(base));
      if (!d) break;
      d->span.begin += base;
      d->span.end += base;
      hits.push_back({p, *d});
      base = d->span.end;
    }
  }
  std::vector<Candidate> out;
  for (size_t i = 0; i < hits.size(); ++i) {
    const auto& [p, d] = hits[i];
    Candidate c{d.printed, {static_cast<int>(p)}, {}};
    auto& f = c.features;
    page.add_line(static_cast<long>(p), f);
    const auto& row = page.layout.rows[static_cast<size_t>(page.layout.lines[p].row)];
    bool row_label = std::any_of(row.begin(), row.end(), [&](int q) {
      return has_word(page.upper[static_cast<size_t>(q)], "DATE") || has_word(page.upper[static_cast<size_t>(q)], "日期");
    });
    bool line_label = has_word(page.upper[p], "DATE") || has_word(page.upper[p], "日期");
    int same = 0;
    for (const auto& h : hits) same += h.date.iso == d.iso;
    f.insert(f.end(), {line_label ? 1.f : 0.f, row_label ? 1.f : 0.f, spelled(d) ? 1.f : 0.f,
                       static_cast<float>(d.printed.size()), static_cast<float>(same), static_cast<float>(i),
                       static_cast<float>(hits.size()), d.year >= 1000 || d.printed.find(std::to_string(d.year)) != std::string::npos ? 1.f : 0.f,
                       trim(page.layout.lines[p].text) == d.printed ? 1.f : 0.f,
                       static_cast<float>(d.span.begin) / std::max<float>(1.f, static_cast<float>(page.layout.lines[p].text.size()))});
    char sep = 0;
    for (char ch : d.printed)
      if (ch == '/' || ch == '-' || ch == '.' || ch == ' ') {
        sep = ch;
        break;
      }
    for (char s : {'/', '-', '.', ' '}) f.push_back(sep == s ? 1.f : 0.f);
    std::string rest = page.layout.lines[p].text.substr(d.span.end);
    f.push_back(find_time(rest) ? 1.f : 0.f);
    add_keyword_flags(page.upper[p], f);
    page.add_rule_relation("date", d.printed, c.positions, f);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Candidate> total_candidates(const Page& page) {
  struct Hit {
    size_t line;
    Money money;
    size_t index, count;  // within the line
  };
  std::vector<Hit> hits;
  for (size_t p = 0; p < page.layout.lines.size(); ++p) {
    auto moneys = find_money(page.layout.lines[p].text);
    for (size_t i = 0; i < moneys.size(); ++i) hits.push_back({p, moneys[i], i, moneys.size()});
  }
  std::vector<double> amounts;
  for (const auto& h : hits) amounts.push_back(h.money.amount);
  std::sort(amounts.begin(), amounts.end(), std::greater<>());
  amounts.erase(std::unique(amounts.begin(), amounts.end()), amounts.end());
  const double largest = amounts.empty() ? 1 : std::max(1e-9, amounts.front());
  auto rule_amount = [&](const char* name) -> std::optional<double> {
    auto it = page.rules.fields.find(name);
    if (it == page.rules.fields.end()) return std::nullopt;
    auto m = parse_money(it->second.normalized);
    return m ? std::optional<double>(m->amount) : std::nullopt;
  };
  auto rule_total = rule_amount("total"), rule_sub = rule_amount("subtotal"), rule_tax = rule_amount("tax");
  int rounding_line = -1;
  for (size_t p = 0; p < page.upper.size(); ++p)
    if (has_word(page.upper[p], "ROUND")) rounding_line = static_cast<int>(p);
  std::vector<Candidate> out;
  for (size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    // The number as printed, with its currency, and without digit grouping ("7838.80").
    std::string ungrouped = h.money.number_text;
    std::erase(ungrouped, ',');
    // What the amount's readings share: its line, the labels around it, its rank among amounts.
    std::vector<float> shared;
    page.add_line(static_cast<long>(h.line), shared);
    const std::string before = to_upper_ascii(page.layout.lines[h.line].text.substr(0, h.money.span.begin));
    add_keyword_flags(before, shared);
    // Labels printed left of the amount on the same row, or on the line above.
    const auto& row = page.layout.rows[static_cast<size_t>(page.layout.lines[h.line].row)];
    std::string row_left;
    for (int q : row)
      if (static_cast<size_t>(q) != h.line && page.layout.lines[static_cast<size_t>(q)].right <=
                                                  page.layout.lines[h.line].left + page.median_height)
        row_left += page.upper[static_cast<size_t>(q)] + " ";
    add_keyword_flags(row_left, shared);
    add_keyword_flags(h.line > 0 ? page.upper[h.line - 1] : std::string(), shared);
    auto rank = std::find(amounts.begin(), amounts.end(), h.money.amount) - amounts.begin();
    int same = 0, later_same = 0;
    for (size_t j = 0; j < hits.size(); ++j)
      if (std::abs(hits[j].money.amount - h.money.amount) < 1e-9) {
        ++same;
        if (j > i) ++later_same;
      }
    const double cents = std::round(h.money.amount * 100);
    shared.insert(shared.end(), {static_cast<float>(rank), static_cast<float>(h.money.amount / largest),
                                 static_cast<float>(same), static_cast<float>(later_same),
                                 static_cast<float>(h.index), static_cast<float>(h.count),
                                 h.index + 1 == h.count ? 1.f : 0.f, h.money.currency_symbol.empty() ? 0.f : 1.f,
                                 static_cast<float>(i) / static_cast<float>(hits.size()),
                                 static_cast<float>(hits.size() - i),
                                 std::fmod(cents, 5) == 0 ? 1.f : 0.f, std::fmod(cents, 100) == 0 ? 1.f : 0.f,
                                 h.money.number_text.find('.') == std::string::npos ? 1.f : 0.f,
                                 static_cast<float>(std::log10(1 + h.money.amount)),
                                 rounding_line < 0 ? -99.f : static_cast<float>(static_cast<int>(h.line) - rounding_line)});
    for (const auto& rule : {rule_total, rule_sub, rule_tax})
      shared.push_back(!rule ? -1.f : std::abs(*rule - h.money.amount) < 0.005 ? 1.f : 0.f);
    shared.push_back(rule_sub && rule_tax && std::abs(*rule_sub + *rule_tax - h.money.amount) < 0.015 ? 1.f : 0.f);
    for (int variant = 0; variant < 3; ++variant) {
      std::string value = variant == 0 ? h.money.number_text : variant == 1 ? h.money.printed : ungrouped;
      if (variant && value == h.money.number_text) continue;
      Candidate c{value, {static_cast<int>(h.line)}, {}};
      auto& f = c.features;
      f.push_back(static_cast<float>(variant));
      f.push_back(value.find(' ') != std::string::npos ? 1.f : 0.f);  // "RM 12.50": some labels keep the space
      f.insert(f.end(), shared.begin(), shared.end());
      page.add_rule_relation("total", value, c.positions, f);
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<Candidate> candidates(const Page& page, const std::string& field) {
  if (field == "company") return company_candidates(page);
  if (field == "address") return address_candidates(page);
  if (field == "date") return date_candidates(page);
  return total_candidates(page);
}

}  // namespace

std::string field_match_key(const std::string& value) { return to_upper_ascii(collapse_spaces(value)); }

const std::vector<std::string>& FieldModel::field_names() {
  static const std::vector<std::string> kNames = {"company", "date", "address", "total"};
  return kNames;
}

FieldModel FieldModel::train(const std::vector<FieldExample>& examples, const FieldTrainOptions& options,
                             const FieldModel* base, FieldTrainReport* report) {
  std::map<std::string, std::vector<std::vector<float>>> rows;
  std::map<std::string, std::vector<int>> labels;
  std::map<std::string, std::vector<std::pair<size_t, size_t>>> groups;  // row ranges per page
  FieldTrainReport local;
  FieldModel model;
  if (base) model = *base;
  // The words of the labelled names and addresses (so that candidates are read as they write)
  // and the values themselves, once per image (its OCR and its labelled lines share labels).
  std::set<std::string> images;
  for (const auto& example : examples) {
    if (!example.image.empty() && !images.insert(example.image).second) continue;
    for (const char* name : {"company", "address"})
      if (auto it = example.truth.find(name); it != example.truth.end()) {
        model.lexicon_.add(it->second);
        model.known_[name].add(it->second);
      }
  }
  for (const auto& example : examples) {
    Layout layout = build_layout(example.ocr);
    ReceiptAnalysis rules = analyze_receipt(layout);
    // A page is read without its own labels' words, as a page of a new shop would be.
    Lexicon words = model.lexicon_;
    for (const char* name : {"company", "address"})
      if (auto it = example.truth.find(name); it != example.truth.end()) words.remove(it->second);
    Page page(layout, rules, words, model.known_, &example.truth);
    for (const auto& name : field_names()) {
      auto truth = example.truth.find(name);
      if (truth == example.truth.end() || trim(truth->second).empty()) continue;
      const std::string key = field_match_key(truth->second);
      auto cands = candidates(page, name);
      ++local.pages[name];
      bool any = false;
      size_t begin = rows[name].size();
      for (auto& c : cands) {
        bool positive = field_match_key(c.value) == key;
        any = any || positive;
        labels[name].push_back(positive ? 1 : 0);
        rows[name].push_back(std::move(c.features));
      }
      groups[name].push_back({begin, rows[name].size()});
      local.reachable[name] += any ? 1 : 0;
    }
  }
  for (const auto& name : field_names()) {
    auto& r = rows[name];
    // A field no page can teach (unlabelled, or never read as labelled) keeps the base model's
    // trees if any; the rules answer it otherwise.
    if (std::find(labels[name].begin(), labels[name].end(), 1) == labels[name].end()) continue;
    auto& trees = model.trees_[name];
    trees.train(r, labels[name], options.boosting);
    for (const auto& [b, e] : groups[name]) {
      size_t best = e;
      double best_margin = -1e300;
      for (size_t i = b; i < e; ++i) {
        double m = trees.margin(r[i]);
        if (m > best_margin) best_margin = m, best = i;
      }
      local.right[name] += best < e && labels[name][best] ? 1 : 0;
    }
  }
  if (report) *report = local;
  return model;
}

std::map<std::string, Field> FieldModel::predict(const Layout& layout, const ReceiptAnalysis& rules) const {
  std::map<std::string, Field> out;
  if (layout.lines.empty()) return out;
  Page page(layout, rules, lexicon_, known_);
  for (const auto& [name, trees] : trees_) {
    auto cands = candidates(page, name);
    const Candidate* best = nullptr;
    double best_margin = -1e300;
    for (const auto& c : cands) {
      double m = trees.margin(c.features);
      if (m > best_margin) best_margin = m, best = &c;
    }
    if (!best) continue;
    const bool money = name == "total", date = name == "date";
    Field f = make_field(layout, name, money ? ValueType::money : date ? ValueType::date : ValueType::text,
                         best->positions, 1.0);
    f.confidence = 1.0 / (1.0 + std::exp(-best_margin));
    f.value = f.display = f.normalized = best->value;
    if (money) {
      if (auto m = parse_money(best->value)) {
        f.display = m->printed;
        f.normalized = m->normalized;
        f.currency = m->currency_code;
      }
    } else if (date) {
      if (auto d = find_date(best->value)) f.normalized = d->iso;
    }
    out[name] = std::move(f);
  }
  return out;
}

std::vector<std::string> FieldModel::candidate_values(const Layout& layout, const ReceiptAnalysis& rules,
                                                     const std::string& field) const {
  std::vector<std::string> out;
  if (layout.lines.empty()) return out;
  Page page(layout, rules, lexicon_, known_);
  for (auto& c : candidates(page, field)) out.push_back(std::move(c.value));
  return out;
}

void FieldModel::save(const std::filesystem::path& path) const {
  std::ostringstream out;
  out << kFormat << "\n";
  lexicon_.write(out);
  for (const auto& [name, values] : known_) {
    out << "known " << name << "\n";
    values.write(out);
  }
  for (const auto& [name, trees] : trees_) {
    out << "field " << name << "\n";
    trees.write(out);
  }
  out << "end\n";
  std::ofstream file(path, std::ios::binary);
  if (!file || !(file << out.str()) || !file.flush()) throw std::runtime_error("cannot write " + path.string());
}

FieldModel FieldModel::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fields model " + path.string());
  std::string header;
  std::getline(in, header);
  if (header != kFormat)
    throw std::runtime_error(path.string() + " is not an EdgeOCR fields model (expected \"" + std::string(kFormat) +
                             "\" on its first line; a model of an older format must be trained again)");
  FieldModel model;
  std::string word;
  try {
    model.lexicon_ = Lexicon::read(in);
    while (in >> word && word != "end") {
      std::string name;
      if (word == "known" && in >> name) {
        model.known_[name] = KnownValues::read(in);
        continue;
      }
      if (word != "field" || !(in >> name)) throw std::runtime_error("expected 'field NAME'");
      if (std::find(field_names().begin(), field_names().end(), name) == field_names().end())
        throw std::runtime_error("unknown field \"" + name + "\"");
      model.trees_[name] = BoostedTrees::read(in);
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  if (word != "end" || model.trees_.empty()) throw std::runtime_error(path.string() + ": truncated fields model");
  return model;
}

}  // namespace edgeocr::extract
