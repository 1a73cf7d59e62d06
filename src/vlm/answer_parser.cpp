#include "vlm/answer_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "ocr/postprocess.h"

namespace edgeocr::vlm {
namespace {

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Parses a (possibly fractional, possibly signed) number at `i`, skipping spaces first.
std::optional<double> read_number(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
  size_t j = i;
  if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
  const size_t digits_start = j;
  while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
  if (j == digits_start) return std::nullopt;
  double value = 0;
  std::string token(s.substr(i, j - i));
  if (token.front() == '+') token.erase(0, 1);
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
  i = j;
  while (i < s.size() && s[i] == ' ') ++i;
  return value;
}

// "(x,y)" at `i`.
bool read_point(std::string_view s, size_t& i, double& x, double& y) {
  size_t j = i;
  if (j >= s.size() || s[j] != '(') return false;
  ++j;
  const auto a = read_number(s, j);
  if (!a || j >= s.size() || s[j] != ',') return false;
  ++j;
  const auto b = read_number(s, j);
  if (!b || j >= s.size() || s[j] != ')') return false;
  x = *a;
  y = *b;
  i = j + 1;
  return true;
}

// "(x1,y1),(x2,y2)" (spaces allowed around the comma) at `i`.
bool read_corner_pair(std::string_view s, size_t& i, double (&v)[4]) {
  size_t j = i;
  if (!read_point(s, j, v[0], v[1])) return false;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j < s.size() && s[j] == ',') ++j;
  while (j < s.size() && s[j] == ' ') ++j;
  if (!read_point(s, j, v[2], v[3])) return false;
  i = j;
  return true;
}

ocr::Quad rectangle(double x1, double y1, double x2, double y2, const ImageGeometry& g) {
  const ocr::Point a = model_to_pixels(std::min(x1, x2), std::min(y1, y2), g);
  const ocr::Point b = model_to_pixels(std::max(x1, x2), std::max(y1, y2), g);
  return ocr::Quad{ocr::Point{a.x, a.y}, ocr::Point{b.x, a.y}, ocr::Point{b.x, b.y}, ocr::Point{a.x, b.y}};
}

std::optional<std::vector<ocr::TextLine>> parse_spotting_json(std::string_view answer, const ImageGeometry& g) {
  const auto parsed = parse_json_lenient(answer);
  if (!parsed || !parsed->is_array() || parsed->empty()) return std::nullopt;
  std::vector<ocr::TextLine> lines;
  for (const auto& item : *parsed) {
    if (!item.is_object() || !item.contains("text")) return std::nullopt;
    const auto& box = item.contains("box") ? item["box"] : item.value("bbox", nlohmann::json());
    if (!box.is_array() || box.size() != 4) return std::nullopt;
    for (const auto& v : box) if (!v.is_number()) return std::nullopt;
    ocr::TextLine line;
    line.text = item["text"].is_string() ? item["text"].get<std::string>() : item["text"].dump();
    line.confidence = 1.0f;
    line.box = rectangle(box[0].get<double>(), box[1].get<double>(), box[2].get<double>(), box[3].get<double>(), g);
    lines.push_back(std::move(line));
  }
  return lines;
}

// Escapes a raw string for JSON output.
void append_json_string_char(std::string& out, char c) {
  if (c == '"') out += "\\\"";
  else if (c == '\n') out += "\\n";
  else if (c == '\t') out += "\\t";
  else if (c == '\r') out += "\\r";
  else out += c;
}

// Rewrites single-quoted strings as double-quoted, Python literals as JSON, drops trailing commas.
std::string python_to_json(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {  // copy a double-quoted string verbatim (escapes included)
      out += c;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) out += s[i++];
        out += s[i++];
      }
      if (i < s.size()) out += s[i++];
      continue;
    }
    if (c == '\'') {
      out += '"';
      ++i;
      while (i < s.size() && s[i] != '\'') {
        if (s[i] == '\\' && i + 1 < s.size()) {
          if (s[i + 1] == '\'') { out += '\''; i += 2; continue; }
          out += s[i++];
          out += s[i++];
          continue;
        }
        append_json_string_char(out, s[i++]);
      }
      out += '"';
      if (i < s.size()) ++i;
      continue;
    }
    if (c == ',') {  // trailing comma before a closing bracket
      size_t j = i + 1;
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j < s.size() && (s[j] == '}' || s[j] == ']')) { ++i; continue; }
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && std::isalnum(static_cast<unsigned char>(s[j]))) ++j;
      const std::string_view word = s.substr(i, j - i);
      if (word == "None") out += "null";
      else if (word == "True") out += "true";
      else if (word == "False") out += "false";
      else out += word;
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// The first balanced {...} or [...] starting at or after `from` (string-aware), or npos.
std::string_view balanced_json_span(std::string_view s, size_t from) {
  const size_t start = s.find_first_of("{[", from);
  if (start == std::string_view::npos) return {};
  int depth = 0;
  char quote = 0;
  for (size_t i = start; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return s.substr(start, i - start + 1);
    }
  }
  return {};
}

std::string strip_code_fence(std::string_view s) {
  const size_t open = s.find("```");
  if (open == std::string_view::npos) return std::string(s);
  size_t body = s.find('\n', open);
  if (body == std::string_view::npos) return std::string(s);
  ++body;
  const size_t close = s.find("```", body);
  return std::string(s.substr(body, close == std::string_view::npos ? std::string_view::npos : close - body));
}

std::optional<nlohmann::json> try_parse(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}


}  // namespace

ocr::Point model_to_pixels(double x, double y, const ImageGeometry& g) {
  const double sent_x = x * g.sent_width / 1000.0;
  const double sent_y = y * g.sent_height / 1000.0;
  const double scale_x = g.sent_width > 0 ? static_cast<double>(g.original_width) / g.sent_width : 1.0;
  const double scale_y = g.sent_height > 0 ? static_cast<double>(g.original_height) / g.sent_height : 1.0;
  const double px = std::clamp(sent_x * scale_x, 0.0, static_cast<double>(g.original_width));
  const double py = std::clamp(sent_y * scale_y, 0.0, static_cast<double>(g.original_height));
  return {static_cast<float>(px), static_cast<float>(py)};
}

std::string trim_repeated_tail(std::string_view s) {
  constexpr size_t kMaxPeriod = 512, kMinRepeats = 3, kMinBytes = 96;
  const size_t n = s.size();
  for (size_t p = 1; p <= kMaxPeriod && p * kMinRepeats <= n; ++p) {
    // Length of the suffix in which every byte equals the byte one period earlier.
    size_t run = 0;
    while (run + p < n && s[n - 1 - run] == s[n - 1 - run - p]) ++run;
    const size_t periodic = run + p;  // bytes covered by the periodic region
    if (periodic < kMinRepeats * p || periodic < kMinBytes) continue;
    // The region may begin inside the text before the loop (when that text ends the way a copy
    // does), so its first period can be a rotation that cuts the real copy short. Keep one period
    // plus the few bytes up to where a copy ends: a line end, else a closing </quad>, else the
    // ")" closing a tag-less box; without any, exactly one period.
    const size_t start = n - periodic;
    const size_t from = start + p, to = std::min(n, start + 2 * p - 1);
    auto first_end = [&](auto&& ends_here) -> std::optional<size_t> {
      for (size_t c = from; c <= to; ++c)
        if (ends_here(c)) return c;
      return std::nullopt;
    };
    const auto line_end = first_end([&](size_t c) { return s[c - 1] == '\n'; });
    const auto quad_end = first_end([&](size_t c) { return c >= 7 && s.substr(c - 7, 7) == "</quad>"; });
    const auto box_end = first_end([&](size_t c) { return s[c - 1] == ')' && (c == n || s[c] != ','); });
    size_t cut = line_end ? *line_end : quad_end ? *quad_end : box_end ? *box_end : from;
    while (cut < n && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;  // UTF-8 boundary
    return std::string(s.substr(0, cut));
  }
  return std::string(s);
}

std::optional<std::vector<ocr::TextLine>> parse_spotting(std::string_view answer, const ImageGeometry& g) {
  std::string s(answer);
  const std::string_view t = trim(s);
  if (!t.empty() && t.front() == '[' ) {
    if (auto lines = parse_spotting_json(t, g)) return lines;
  }
  if (t.find("```") != std::string_view::npos) {  // a fenced JSON list, maybe after some prose
    if (auto lines = parse_spotting_json(t, g)) return lines;
  }
  // Tagged and tag-less forms become the same "TEXT(x1,y1),(x2,y2)" run.
  for (const char* tag : {"<ref>", "</ref>", "<quad>", "</quad>"}) replace_all(s, tag, "");
  std::vector<ocr::TextLine> lines;
  bool any_coordinates = false;
  size_t text_start = 0;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '(') { ++i; continue; }
    double v[4];
    size_t j = i;
    if (!read_corner_pair(s, j, v)) { ++i; continue; }
    any_coordinates = true;
    const std::string_view text = trim(std::string_view(s).substr(text_start, i - text_start));
    if (!text.empty()) {
      ocr::TextLine line;
      line.text = std::string(text);
      line.confidence = 1.0f;  // the model reports no per-line confidence
      line.box = rectangle(v[0], v[1], v[2], v[3], g);
      lines.push_back(std::move(line));
    }
    text_start = i = j;
  }
  if (!any_coordinates) return std::nullopt;
  return lines;
}

std::optional<nlohmann::json> parse_json_lenient(std::string_view text) {
  const std::string body = strip_code_fence(text);
  const std::string_view trimmed = trim(body);
  if (auto j = try_parse(trimmed)) return j;
  for (size_t from = 0; from < body.size();) {
    const std::string_view span = balanced_json_span(body, from);
    if (span.empty()) break;
    if (auto j = try_parse(span)) return j;
    if (auto j = try_parse(python_to_json(span))) return j;
    from = static_cast<size_t>(span.data() - body.data()) + 1;
  }
  return std::nullopt;
}

engine::OcrResponse parse_answer(const PromptRequest& request, std::string_view raw, const ImageGeometry& g) {
  const std::string answer = trim_repeated_tail(trim(raw));
  engine::OcrResponse out;
  out.width = g.original_width;
  out.height = g.original_height;
  out.raw = std::string(raw);
  out.parse_error = false;
  out.repetition_trimmed = answer.size() != trim(raw).size();
  out.text = answer;
  switch (request.task) {
    case Task::spot: {
      auto lines = parse_spotting(answer, g);
      if (!lines) {
        out.parse_error = true;
        break;
      }
      out.text = ocr::detail::assign_reading_order(*lines);
      out.lines = std::move(*lines);
      break;
    }
    case Task::parse: {
      std::string markdown = answer;
      std::vector<engine::Figure> figures;
      for (size_t open = markdown.find("<pFig>"); open != std::string::npos; open = markdown.find("<pFig>", open)) {
        const size_t close = markdown.find("</pFig>", open);
        if (close == std::string::npos) break;
        engine::Figure figure;
        figure.caption = std::string(trim(std::string_view(markdown).substr(open + 6, close - open - 6)));
        size_t end = close + 7;
        std::string_view rest = std::string_view(markdown).substr(end);
        if (rest.rfind("<quad>", 0) == 0) {
          size_t j = 6;
          double v[4];
          if (read_corner_pair(rest, j, v)) {
            figure.box = rectangle(v[0], v[1], v[2], v[3], g);
            if (rest.substr(j).rfind("</quad>", 0) == 0) j += 7;
            end += j;
          }
        }
        markdown.replace(open, end - open, figure.caption);
        open += figure.caption.size();
        figures.push_back(std::move(figure));
      }
      out.markdown = markdown;
      out.text = markdown;
      out.figures = std::move(figures);
      break;
    }
    case Task::text:
      break;
    case Task::table:
      out.html = strip_code_fence(answer);
      break;
    case Task::formula:
      out.latex = std::string(trim(strip_code_fence(answer)));
      break;
    case Task::extract: {
      std::map<std::string, nlohmann::json> fields;
      for (const auto& f : request.fields) fields[f] = nullptr;
      const auto parsed = parse_json_lenient(answer);
      if (parsed && parsed->is_object()) {
        for (const auto& [key, value] : parsed->items()) fields[key] = value;
      } else if (request.fields.size() == 1 && !answer.empty() && (!parsed || !parsed->is_structured())) {
        // "输出 Key 的值。" is answered with the bare value.
        fields[request.fields[0]] = std::string(trim(strip_code_fence(answer)));
      } else {
        out.parse_error = true;
      }
      out.fields = std::move(fields);
      break;
    }
    case Task::translate:
      out.translation = answer;
      break;
    case Task::vqa:
      out.answer = answer;
      break;
  }
  return out;
}

}  // namespace edgeocr::vlm
