#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "extract/values.h"

namespace edgeocr::eval {
namespace {

using Polygon = std::vector<ocr::Point>;

double signed_area(const Polygon& p) {
  double a = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const auto& u = p[i];
    const auto& v = p[(i + 1) % p.size()];
    a += double(u.x) * v.y - double(v.x) * u.y;
  }
  return a / 2;
}

Polygon oriented(const ocr::Quad& q) {
  Polygon p(q.begin(), q.end());
  if (signed_area(p) < 0) std::reverse(p.begin(), p.end());
  return p;
}

// Sutherland-Hodgman: clips `subject` by the convex, counter-clockwise (in math axes) `clip`.
Polygon clip_polygon(Polygon subject, const Polygon& clip) {
  for (size_t i = 0; i < clip.size() && !subject.empty(); ++i) {
    ocr::Point a = clip[i], b = clip[(i + 1) % clip.size()];
    auto inside = [&](const ocr::Point& p) {
      return (double(b.x) - a.x) * (double(p.y) - a.y) - (double(b.y) - a.y) * (double(p.x) - a.x) >= 0;
    };
    auto intersect = [&](const ocr::Point& p, const ocr::Point& q) {
      double a1 = double(b.y) - a.y, b1 = double(a.x) - b.x, c1 = a1 * a.x + b1 * a.y;
      double a2 = double(q.y) - p.y, b2 = double(p.x) - q.x, c2 = a2 * p.x + b2 * p.y;
      double det = a1 * b2 - a2 * b1;
      if (std::abs(det) < 1e-12) return p;
      return ocr::Point{float((b2 * c1 - b1 * c2) / det), float((a1 * c2 - a2 * c1) / det)};
    };
    Polygon input = std::move(subject);
    subject.clear();
    for (size_t k = 0; k < input.size(); ++k) {
      const auto& cur = input[k];
      const auto& prev = input[(k + input.size() - 1) % input.size()];
      bool cin = inside(cur), pin = inside(prev);
      if (cin) {
        if (!pin) subject.push_back(intersect(prev, cur));
        subject.push_back(cur);
      } else if (pin) {
        subject.push_back(intersect(prev, cur));
      }
    }
  }
  return subject;
}

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v * 100);
  return buf;
}

nlohmann::json counts_json(const Counts& c) {
  return {{"tp", c.tp}, {"fp", c.fp}, {"fn", c.fn}, {"precision", c.precision()},
          {"recall", c.recall()}, {"f1", c.f1()}};
}

Counts counts_from(const nlohmann::json& j) {
  Counts c;
  c.tp = j.at("tp").get<size_t>();
  c.fp = j.at("fp").get<size_t>();
  c.fn = j.at("fn").get<size_t>();
  return c;
}

nlohmann::json examples_json(const std::vector<Example>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : v)
    out.push_back({{"image", extract::to_utf8(extract::to_u32(e.image))},
                   {"what", extract::to_utf8(extract::to_u32(e.what))},
                   {"expected", extract::to_utf8(extract::to_u32(e.expected))},
                   {"got", extract::to_utf8(extract::to_u32(e.got))}});
  return out;
}

std::vector<Example> examples_from(const nlohmann::json& j) {
  std::vector<Example> out;
  for (const auto& e : j)
    out.push_back({e.at("image").get<std::string>(), e.at("what").get<std::string>(),
                   e.at("expected").get<std::string>(), e.at("got").get<std::string>()});
  return out;
}

constexpr size_t kMaxExamples = 300;
constexpr size_t kMaxLineMisses = 5000;

}  // namespace

double quad_area(const ocr::Quad& q) { return std::abs(signed_area(Polygon(q.begin(), q.end()))); }

double quad_iou(const ocr::Quad& a, const ocr::Quad& b) {
  double area_a = quad_area(a), area_b = quad_area(b);
  if (area_a <= 0 || area_b <= 0) return 0;
  Polygon inter = clip_polygon(oriented(a), oriented(b));
  double i = inter.size() >= 3 ? std::abs(signed_area(inter)) : 0;
  double u = area_a + area_b - i;
  return u > 0 ? i / u : 0;
}

std::vector<LineMatch> match_lines(const std::vector<ocr::Quad>& predicted,
                                   const std::vector<ocr::Quad>& labelled, double min_iou) {
  std::vector<LineMatch> pairs;
  for (size_t p = 0; p < predicted.size(); ++p)
    for (size_t l = 0; l < labelled.size(); ++l) {
      double iou = quad_iou(predicted[p], labelled[l]);
      if (iou >= min_iou) pairs.push_back({p, l, iou});
    }
  std::sort(pairs.begin(), pairs.end(), [](const LineMatch& x, const LineMatch& y) { return x.iou > y.iou; });
  std::vector<bool> pred_used(predicted.size()), label_used(labelled.size());
  std::vector<LineMatch> out;
  for (const auto& m : pairs) {
    if (pred_used[m.pred] || label_used[m.label]) continue;
    pred_used[m.pred] = label_used[m.label] = true;
    out.push_back(m);
  }
  return out;
}

size_t edit_distance(std::u32string_view a, std::u32string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string normalize_field(std::string_view value) { return extract::collapse_spaces(value); }

namespace {
bool is_space(char32_t c) { return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == 0x3000; }
bool is_tashkeel(char32_t c) { return (c >= 0x064B && c <= 0x0652) || c == 0x0670; }
char32_t fold_alif_maqsura(char32_t c) { return c == 0x0649 ? 0x064A : c; }
// An Arabic letter with hamza or madda typed as the letter and a combining mark (U+0653-U+0655),
// as some labels are, is the same text as the precomposed letter recognizers write: Unicode's
// canonical composition (NFC) of the pair, 0 where there is none.
char32_t composed_arabic(char32_t letter, char32_t mark) {
  static constexpr char32_t kCompositions[][3] = {
      {0x0627, 0x0653, 0x0622}, {0x0627, 0x0654, 0x0623}, {0x0648, 0x0654, 0x0624}, {0x0627, 0x0655, 0x0625},
      {0x064A, 0x0654, 0x0626}, {0x06D5, 0x0654, 0x06C0}, {0x06C1, 0x0654, 0x06C2}, {0x06D2, 0x0654, 0x06D3}};
  for (const auto& [l, m, c] : kCompositions)
    if (l == letter && m == mark) return c;
  return 0;
}
// Appends c to normalised text, composing it with the letter before it where Unicode does.
void append_composed(std::u32string& out, char32_t c) {
  if (!out.empty())
    if (const char32_t composed = composed_arabic(out.back(), c)) {
      out.back() = composed;
      return;
    }
  out.push_back(c);
}
}  // namespace

std::u32string char_bag(std::string_view text) {
  std::u32string bag;
  for (char32_t c : extract::to_u32(text)) {
    if (is_space(c) || is_tashkeel(c)) continue;
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;  // full-width ASCII
    if (c >= U'a' && c <= U'z') c = c - U'a' + U'A';
    append_composed(bag, fold_alif_maqsura(c));
  }
  return bag;
}

std::u32string normalized_transcript(std::string_view text) {
  std::u32string out;
  for (char32_t c : extract::to_u32(text)) {
    if (is_tashkeel(c)) continue;
    if (is_space(c)) {
      if (!out.empty() && out.back() != U' ') out.push_back(U' ');
      continue;
    }
    append_composed(out, fold_alif_maqsura(c));
  }
  if (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

std::string language_group(std::string_view id) {
  const size_t cut = id.find('_');
  return cut == std::string_view::npos ? "" : std::string(id.substr(0, cut));
}

size_t char_bag_overlap(std::u32string got, std::u32string want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  size_t i = 0, j = 0, common = 0;
  while (i < got.size() && j < want.size()) {
    if (got[i] == want[j]) ++common, ++i, ++j;
    else if (got[i] < want[j]) ++i;
    else ++j;
  }
  return common;
}

void EngineStats::add(const Sample& sample, const ocr::OcrResult& ocr,
                      const extract::ExtractionResult* extraction, double seconds) {
  ++images_;
  seconds_.push_back(seconds);
  if (sample.has_lines || !sample.text.empty()) {
    std::string want = sample.text, got;
    for (const auto& l : sample.lines) want += l.text + "\n";
    for (const auto& l : ocr.lines) got += l.text + "\n";
    const std::u32string want_bag = char_bag(want), got_bag = char_bag(got);
    const size_t common = char_bag_overlap(got_bag, want_bag);
    for (Counts* c : {&chars_, language_group(sample.id).empty() ? nullptr : &chars_by_group_[language_group(sample.id)]}) {
      if (!c) continue;
      c->tp += common;
      c->fp += got_bag.size() - common;
      c->fn += want_bag.size() - common;
    }
  }
  if (!sample.has_lines && !sample.text.empty()) {
    // A line image: its whole reading is one line against the transcript.
    std::string got;
    for (const auto& l : ocr.lines) got += (got.empty() ? "" : " ") + l.text;
    add_line_reading(sample.id, extract::to_utf8(normalized_transcript(sample.text)),
                     extract::to_utf8(normalized_transcript(got)));
  }
  if (sample.has_lines) {
    std::vector<ocr::Quad> pred, label;
    for (const auto& l : ocr.lines) pred.push_back(l.box);
    for (const auto& l : sample.lines) label.push_back(l.box);
    auto matches = match_lines(pred, label);
    det_.tp += matches.size();
    det_.fp += pred.size() - matches.size();
    det_.fn += label.size() - matches.size();
    for (const auto& m : matches)
      add_line_reading(sample.id, normalize_field(sample.lines[m.label].text), normalize_field(ocr.lines[m.pred].text));
  }
  for (const auto& [name, expected_raw] : sample.fields) {
    std::string expected = normalize_field(expected_raw);
    const extract::Field* f = extraction ? extraction->find(name) : nullptr;
    std::string got = f && f->found ? normalize_field(f->value) : "";
    auto& c = fields_[name];
    if (expected.empty()) {
      if (!got.empty()) ++c.fp, ++fields_ci_.fp;
      continue;
    }
    if (extract::to_upper_ascii(got) == extract::to_upper_ascii(expected)) {
      ++fields_ci_.tp;
    } else {
      if (!got.empty()) ++fields_ci_.fp;
      ++fields_ci_.fn;
    }
    if (got == expected) {
      ++c.tp;
      continue;
    }
    if (!got.empty()) ++c.fp;
    ++c.fn;
    if (field_errors_.size() < kMaxExamples) field_errors_.push_back({sample.id, name, expected, got});
  }
}

void EngineStats::add_line_reading(const std::string& id, const std::string& want, const std::string& got) {
  const std::u32string w = extract::to_u32(want);
  const size_t d = edit_distance(extract::to_u32(got), w);
  const size_t ci = edit_distance(extract::to_u32(extract::to_upper_ascii(got)),
                                  extract::to_u32(extract::to_upper_ascii(want)));
  ++matched_;
  cer_edits_ += d;
  cer_chars_ += w.size();
  ci_edits_ += ci;
  if (ci == 0) ++ci_exact_;
  if (d == 0) ++exact_;
  // Every case-folded miss (bounded): the list to study reading errors from; misses in letter
  // case alone only up to the examples' cap.
  if (ci != 0 && line_errors_.size() < kMaxLineMisses) line_errors_.push_back({id, "line", want, got});
  else if (ci == 0 && d != 0 && line_errors_.size() < kMaxExamples) line_errors_.push_back({id, "line (case only)", want, got});
}

void EngineStats::add_failure(const Sample& sample, const std::string& error) {
  ++images_;
  if (sample.has_lines) det_.fn += sample.lines.size();
  for (const auto& [name, expected] : sample.fields)
    if (!normalize_field(expected).empty()) ++fields_[name].fn, ++fields_ci_.fn;
  failures_.push_back({sample.id, "error", "", error});
}

Counts EngineStats::fields_overall() const {
  Counts all;
  for (const auto& [name, c] : fields_) {
    all.tp += c.tp;
    all.fp += c.fp;
    all.fn += c.fn;
  }
  return all;
}

namespace {
// Nearest-rank percentile.
double percentile(std::vector<double> s, double p) {
  if (s.empty()) return 0;
  std::sort(s.begin(), s.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * double(s.size())));
  return s[std::clamp<size_t>(rank, 1, s.size()) - 1];
}
}  // namespace

double EngineStats::seconds_percentile(double p) const { return percentile(seconds_, p); }
double EngineStats::extract_seconds_percentile(double p) const { return percentile(extract_seconds_, p); }

nlohmann::json EngineStats::to_json() const {
  nlohmann::json j;
  j["engine"] = engine_;
  j["images"] = images_;
  j["failed_images"] = failures_.size();
  j["detection"] = counts_json(det_);
  j["chars"] = counts_json(chars_);
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, c] : chars_by_group_) groups[name] = counts_json(c);
  j["chars_by_language"] = groups;
  j["recognition"] = {{"matched_lines", matched_}, {"exact_lines", exact_},
                      {"exact_line_accuracy", exact_line_accuracy()}, {"cer", cer()},
                      {"edits", cer_edits_}, {"labelled_chars", cer_chars_},
                      {"cer_case_insensitive", cer_case_insensitive()},
                      {"edits_case_insensitive", ci_edits_},
                      {"exact_lines_case_insensitive", ci_exact_},
                      {"exact_line_accuracy_case_insensitive", exact_line_accuracy_case_insensitive()}};
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, c] : fields_) fields[name] = counts_json(c);
  j["fields"] = fields;
  j["fields_overall"] = counts_json(fields_overall());
  j["fields_overall_case_insensitive"] = counts_json(fields_ci_);
  j["seconds_per_image"] = {{"p50", seconds_percentile(50)}, {"p90", seconds_percentile(90)},
                            {"all", seconds_}};
  j["extract_seconds_per_image"] = {{"p50", extract_seconds_percentile(50)},
                                    {"p90", extract_seconds_percentile(90)},
                                    {"all", extract_seconds_}};
  j["peak_rss_mib"] = double(peak_rss_kb_) / 1024.0;
  j["peak_rss_kb"] = peak_rss_kb_;
  j["field_errors"] = examples_json(field_errors_);
  j["line_errors"] = examples_json(line_errors_);
  j["failures"] = examples_json(failures_);
  return j;
}

EngineStats EngineStats::from_json(const nlohmann::json& j) {
  EngineStats s(j.at("engine").get<std::string>());
  s.images_ = j.at("images").get<size_t>();
  s.det_ = counts_from(j.at("detection"));
  s.chars_ = counts_from(j.at("chars"));
  if (j.contains("chars_by_language"))
    for (auto& [name, c] : j.at("chars_by_language").items()) s.chars_by_group_[name] = counts_from(c);
  const auto& r = j.at("recognition");
  s.matched_ = r.at("matched_lines").get<size_t>();
  s.exact_ = r.at("exact_lines").get<size_t>();
  s.cer_edits_ = r.at("edits").get<size_t>();
  s.cer_chars_ = r.at("labelled_chars").get<size_t>();
  s.ci_edits_ = r.at("edits_case_insensitive").get<size_t>();
  s.ci_exact_ = r.at("exact_lines_case_insensitive").get<size_t>();
  for (auto& [name, c] : j.at("fields").items()) s.fields_[name] = counts_from(c);
  if (j.contains("fields_overall_case_insensitive")) s.fields_ci_ = counts_from(j.at("fields_overall_case_insensitive"));
  s.seconds_ = j.at("seconds_per_image").at("all").get<std::vector<double>>();
  if (j.contains("extract_seconds_per_image"))
    s.extract_seconds_ = j.at("extract_seconds_per_image").at("all").get<std::vector<double>>();
  s.peak_rss_kb_ = j.at("peak_rss_kb").get<long>();
  s.field_errors_ = examples_from(j.at("field_errors"));
  s.line_errors_ = examples_from(j.at("line_errors"));
  s.failures_ = examples_from(j.at("failures"));
  return s;
}

std::string format_table(const std::vector<EngineStats>& engines) {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  auto row = [&](const std::string& name, auto value) {
    std::vector<std::string> cells;
    for (const auto& e : engines) cells.push_back(value(e));
    rows.push_back({name, cells});
  };
  row("images (failed)", [](const EngineStats& e) {
    return std::to_string(e.images()) + " (" + std::to_string(e.failures()) + ")";
  });
  row("det precision %", [](const EngineStats& e) { return pct(e.detection().precision()); });
  row("det recall %", [](const EngineStats& e) { return pct(e.detection().recall()); });
  row("det F1 % (IoU>=0.5)", [](const EngineStats& e) { return pct(e.detection().f1()); });
  row("line CER %", [](const EngineStats& e) { return pct(e.cer()); });
  row("exact lines %", [](const EngineStats& e) { return pct(e.exact_line_accuracy()); });
  row("line CER % (case-insens.)", [](const EngineStats& e) { return pct(e.cer_case_insensitive()); });
  row("exact lines % (case-insens.)",
      [](const EngineStats& e) { return pct(e.exact_line_accuracy_case_insensitive()); });
  row("char P/R/F1 % (order-free)", [](const EngineStats& e) {
    return pct(e.chars().precision()) + "/" + pct(e.chars().recall()) + "/" + pct(e.chars().f1());
  });
  std::vector<std::string> groups;
  for (const auto& e : engines)
    for (const auto& [name, c] : e.chars_by_group())
      if (std::find(groups.begin(), groups.end(), name) == groups.end()) groups.push_back(name);
  if (groups.size() > 1)
    for (const auto& name : groups)
      row("char F1 % [" + name + "]", [&](const EngineStats& e) {
        auto it = e.chars_by_group().find(name);
        return it == e.chars_by_group().end() ? std::string("-") : pct(it->second.f1());
      });
  std::vector<std::string> field_names;
  for (const auto& e : engines)
    for (const auto& [name, c] : e.fields())
      if (std::find(field_names.begin(), field_names.end(), name) == field_names.end())
        field_names.push_back(name);
  for (const auto& name : field_names)
    row("field " + name + " P/R/F1 %", [&](const EngineStats& e) {
      auto it = e.fields().find(name);
      Counts c = it == e.fields().end() ? Counts{} : it->second;
      return pct(c.precision()) + "/" + pct(c.recall()) + "/" + pct(c.f1());
    });
  if (!field_names.empty()) {
    row("fields overall P/R/F1 %", [](const EngineStats& e) {
      Counts c = e.fields_overall();
      return pct(c.precision()) + "/" + pct(c.recall()) + "/" + pct(c.f1());
    });
    row("fields overall % (case-insens.)", [](const EngineStats& e) {
      const Counts& c = e.fields_overall_case_insensitive();
      return pct(c.precision()) + "/" + pct(c.recall()) + "/" + pct(c.f1());
    });
  }
  row("s/image p50", [](const EngineStats& e) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", e.seconds_percentile(50));
    return std::string(b);
  });
  row("s/image p90", [](const EngineStats& e) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", e.seconds_percentile(90));
    return std::string(b);
  });
  row("extract ms/image p50/p90", [](const EngineStats& e) {
    char b[48];
    std::snprintf(b, sizeof b, "%.2f/%.2f", 1000 * e.extract_seconds_percentile(50),
                  1000 * e.extract_seconds_percentile(90));
    return std::string(b);
  });
  row("peak RSS MiB", [](const EngineStats& e) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f", double(e.peak_rss_kb()) / 1024.0);
    return std::string(b);
  });
  size_t w0 = 6;
  for (const auto& r : rows) w0 = std::max(w0, r.first.size());
  std::vector<size_t> widths;
  for (const auto& e : engines) widths.push_back(std::max<size_t>(e.engine().size(), 8));
  for (const auto& r : rows)
    for (size_t i = 0; i < r.second.size(); ++i) widths[i] = std::max(widths[i], r.second[i].size());
  std::ostringstream out;
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  out << "| " << pad("metric", w0);
  for (size_t i = 0; i < engines.size(); ++i) out << " | " << pad(engines[i].engine(), widths[i]);
  out << " |\n|" << std::string(w0 + 2, '-');
  for (size_t i = 0; i < engines.size(); ++i) out << "|" << std::string(widths[i] + 2, '-');
  out << "|\n";
  for (const auto& r : rows) {
    out << "| " << pad(r.first, w0);
    for (size_t i = 0; i < r.second.size(); ++i) out << " | " << pad(r.second[i], widths[i]);
    out << " |\n";
  }
  return out.str();
}

}  // namespace edgeocr::eval
