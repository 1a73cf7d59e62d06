#include "extract/layout.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "extract/values.h"

namespace edgeocr::extract {
namespace {

float median(std::vector<float> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

float vertical_overlap(const LayoutLine& a, float top, float bottom) {
  float overlap = std::min(a.bottom, bottom) - std::max(a.top, top);
  float smaller = std::min(a.height(), bottom - top);
  return smaller > 0 ? overlap / smaller : 0;
}

std::string strip_separators(std::string_view text) {
  std::string t = trim(text);
  // Leading ':' '：' '-' '=' '.' and spaces between a key and its value.
  for (;;) {
    if (!t.empty() && (t[0] == ':' || t[0] == '-' || t[0] == '=' || t[0] == ' ' || t[0] == '.' ||
                       t[0] == '#' || t[0] == ';')) {
      t.erase(0, 1);
    } else if (t.rfind("\xEF\xBC\x9A", 0) == 0) {  // full-width colon
      t.erase(0, 3);
    } else {
      break;
    }
  }
  return trim(t);
}

}  // namespace

std::string Layout::row_text(int row) const {
  std::string out;
  for (int p : rows[static_cast<size_t>(row)]) {
    if (!out.empty()) out += ' ';
    out += lines[static_cast<size_t>(p)].text;
  }
  return out;
}

Layout build_layout(const ocr::OcrResult& ocr) {
  Layout layout;
  // Skew: median angle of the top edges of clearly horizontal, wide lines.
  std::vector<float> angles;
  for (const auto& l : ocr.lines) {
    float dx = l.box[1].x - l.box[0].x, dy = l.box[1].y - l.box[0].y;
    float h = std::hypot(l.box[3].x - l.box[0].x, l.box[3].y - l.box[0].y);
    if (dx > 2 * h && dx > 0) angles.push_back(std::atan2(dy, dx));
  }
  layout.skew_radians = median(angles);
  if (std::abs(layout.skew_radians) > 0.35f) layout.skew_radians = 0;  // not a plain skew
  float c = std::cos(-layout.skew_radians), s = std::sin(-layout.skew_radians);

  std::vector<LayoutLine> lines;
  for (size_t i = 0; i < ocr.lines.size(); ++i) {
    const auto& l = ocr.lines[i];
    LayoutLine ll;
    ll.index = static_cast<int>(i);
    ll.text = collapse_spaces(l.text);
    // Receipt lines are short; bound pathological ones (the regex scanners recurse per char).
    if (ll.text.size() > 512) {
      size_t cut = 512;
      while (cut > 0 && (static_cast<unsigned char>(ll.text[cut]) & 0xC0) == 0x80) --cut;
      ll.text.resize(cut);
    }
    ll.confidence = l.confidence;
    ll.box = l.box;
    ll.left = ll.top = 1e30f;
    ll.right = ll.bottom = -1e30f;
    for (const auto& p : l.box) {
      float x = p.x * c - p.y * s, y = p.x * s + p.y * c;
      ll.left = std::min(ll.left, x);
      ll.right = std::max(ll.right, x);
      ll.top = std::min(ll.top, y);
      ll.bottom = std::max(ll.bottom, y);
    }
    if (ll.text.empty()) continue;
    lines.push_back(std::move(ll));
  }
  std::sort(lines.begin(), lines.end(),
            [](const LayoutLine& a, const LayoutLine& b) { return a.cy() < b.cy(); });

  // Rows: a line joins the current row when it overlaps the row's vertical extent by half of
  // the smaller height.
  std::vector<std::vector<LayoutLine>> rows;
  float row_top = 0, row_bottom = 0;
  for (auto& l : lines) {
    float row_height = row_bottom - row_top;
    if (!rows.empty() && vertical_overlap(l, row_top, row_bottom) >= 0.5f &&
        std::abs(l.cy() - (row_top + row_bottom) / 2) <= 0.6f * std::min(l.height(), row_height)) {
      rows.back().push_back(l);
      // Keep the row extent as the mean so one tall line does not swallow the next row.
      float n = static_cast<float>(rows.back().size());
      row_top += (l.top - row_top) / n;
      row_bottom += (l.bottom - row_bottom) / n;
    } else {
      rows.push_back({l});
      row_top = l.top;
      row_bottom = l.bottom;
    }
  }
  std::vector<float> heights;
  for (const auto& l : lines) heights.push_back(l.height());
  float line_height = std::max(1.0f, median(heights));

  float prev_bottom = -1e30f;
  for (auto& row : rows) {
    std::sort(row.begin(), row.end(),
              [](const LayoutLine& a, const LayoutLine& b) { return a.left < b.left; });
    float top = 1e30f, bottom = -1e30f;
    for (const auto& l : row) {
      top = std::min(top, l.top);
      bottom = std::max(bottom, l.bottom);
    }
    int row_index = static_cast<int>(layout.rows.size());
    if (layout.blocks.empty() || top - prev_bottom > 1.2f * line_height) layout.blocks.emplace_back();
    layout.rows.emplace_back();
    for (auto& l : row) {
      l.row = row_index;
      l.block = static_cast<int>(layout.blocks.size()) - 1;
      layout.rows.back().push_back(static_cast<int>(layout.lines.size()));
      layout.lines.push_back(l);
    }
    layout.blocks.back().push_back(row_index);
    prev_bottom = bottom;
  }
  return layout;
}

std::vector<KeyValue> value_candidates(const Layout& layout, int key_line, size_t key_end) {
  std::vector<KeyValue> out;
  const auto& key = layout.lines[static_cast<size_t>(key_line)];
  if (key_end < key.text.size()) {
    std::string rest = strip_separators(std::string_view(key.text).substr(key_end));
    if (!rest.empty()) out.push_back({key_line, key_line, rest});
  }
  // Right of the key on the same row, nearest first; also lines of neighbouring rows that still
  // overlap the key vertically (skewed scans split rows).
  std::vector<std::pair<float, int>> right;
  for (size_t i = 0; i < layout.lines.size(); ++i) {
    const auto& l = layout.lines[i];
    if (static_cast<int>(i) == key_line || l.left < key.right - 0.5f * key.height()) continue;
    if (l.row != key.row && vertical_overlap(l, key.top, key.bottom) < 0.35f) continue;
    right.push_back({l.left - key.right, static_cast<int>(i)});
  }
  std::sort(right.begin(), right.end());
  for (auto& [d, i] : right) out.push_back({key_line, i, strip_separators(layout.lines[static_cast<size_t>(i)].text)});
  // Below: the nearest lines under the key that overlap it horizontally, within a few lines.
  std::vector<std::pair<float, int>> below;
  for (size_t i = 0; i < layout.lines.size(); ++i) {
    const auto& l = layout.lines[i];
    if (l.row <= key.row || l.top - key.bottom > 3.0f * key.height()) continue;
    float overlap = std::min(l.right, key.right + key.height()) - std::max(l.left, key.left - key.height());
    if (overlap <= 0) continue;
    below.push_back({l.top - key.bottom + std::abs(l.left - key.left) * 0.1f, static_cast<int>(i)});
  }
  std::sort(below.begin(), below.end());
  for (auto& [d, i] : below) out.push_back({key_line, i, strip_separators(layout.lines[static_cast<size_t>(i)].text)});
  return out;
}

size_t find_key(std::string_view text, std::string_view key, size_t* match_begin) {
  // Fold: drop spaces, upper-case ASCII, keep a map back to byte offsets in `text`. The
  // buffers are reused: extraction calls this thousands of times per receipt.
  thread_local std::string folded;
  thread_local std::vector<size_t> offsets;
  folded.clear();
  offsets.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == ' ' || ch == '\t') continue;
    folded += (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
    offsets.push_back(i);
  }
  std::string k;
  for (char ch : key)
    if (ch != ' ' && ch != '\t') k += (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
  if (k.empty()) return std::string_view::npos;
  size_t pos = 0;
  while ((pos = folded.find(k, pos)) != std::string::npos) {
    // ASCII keys must sit on word boundaries ("TAX" is not in "TAXI", "NO" not in "NOTE").
    bool ascii_key = static_cast<unsigned char>(k.front()) < 0x80 && static_cast<unsigned char>(k.back()) < 0x80;
    size_t first = offsets[pos], last = offsets[pos + k.size() - 1];
    auto alnum = [](char ch) {
      return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    };
    bool ok = true;
    if (ascii_key) {
      if (alnum(k.front()) && first > 0 && alnum(text[first - 1])) ok = false;
      if (alnum(k.back()) && last + 1 < text.size() && alnum(text[last + 1]) &&
          std::isalpha(static_cast<unsigned char>(text[last + 1])))
        ok = false;
    }
    if (ok) {
      if (match_begin) *match_begin = first;
      return last + 1;
    }
    ++pos;
  }
  return std::string_view::npos;
}

}  // namespace edgeocr::extract
