#include "ocr/postprocess.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "ocr/languages.h"

namespace edgeocr::ocr::detail {
namespace {

float distance(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Mean probability inside the polygon (DB's "fast" box score).
float box_score(const cv::Mat& probability, const cv::Point2f (&pts)[4]) {
  float min_x = pts[0].x, max_x = pts[0].x, min_y = pts[0].y, max_y = pts[0].y;
  for (const auto& p : pts) {
    min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
  }
  const int x0 = std::clamp(static_cast<int>(std::floor(min_x)), 0, probability.cols - 1);
  const int x1 = std::clamp(static_cast<int>(std::ceil(max_x)), 0, probability.cols - 1);
  const int y0 = std::clamp(static_cast<int>(std::floor(min_y)), 0, probability.rows - 1);
  const int y1 = std::clamp(static_cast<int>(std::ceil(max_y)), 0, probability.rows - 1);
  cv::Mat mask = cv::Mat::zeros(y1 - y0 + 1, x1 - x0 + 1, CV_8U);
  cv::Point poly[4];
  for (int i = 0; i < 4; ++i) poly[i] = cv::Point(static_cast<int>(std::lround(pts[i].x)) - x0, static_cast<int>(std::lround(pts[i].y)) - y0);
  cv::fillConvexPoly(mask, poly, 4, cv::Scalar(1));
  return static_cast<float>(cv::mean(probability(cv::Rect(x0, y0, mask.cols, mask.rows)), mask)[0]);
}

bool is_ascii_digit(const std::string& c) { return c.size() == 1 && c[0] >= '0' && c[0] <= '9'; }
bool is_ascii_alnum(const std::string& c) {
  return c.size() == 1 && std::isalnum(static_cast<unsigned char>(c[0])) != 0;
}

// The word-gap factor between the characters `left` and `right` (`before` comes before `left`)
// relative to the line's own; 0 where no space is restored (a space the model emits still counts).
// Chosen on sroie_train, where these were the restored spaces most often wrong or missing.
float word_gap_scale(const std::string& before, const std::string& left, const std::string& right) {
  // Inside brackets: "( 3)", "(RM )".
  if (left == "(" || left == "[" || right == ")" || right == "]") return 0;
  // After a label's colon a space is the rule ("TEL: 03-…", "GST ID: 0016…"), though the colon's
  // own narrow frame leaves less gap; a time ("13:58") keeps none.
  if (left == ":" && is_ascii_alnum(right) && !is_ascii_digit(before)) return 0.8f;
  return 1;
}
}  // namespace

std::vector<cv::Point2f> offset_convex_polygon(const std::vector<cv::Point2f>& input, float dist) {
  std::vector<cv::Point2f> poly;  // drop repeated points: they have no edge direction
  for (const auto& p : input)
    if (poly.empty() || distance(poly.back(), p) > 1e-4f) poly.push_back(p);
  while (poly.size() > 1 && distance(poly.front(), poly.back()) <= 1e-4f) poly.pop_back();
  const size_t n = poly.size();
  if (n < 3) return poly;
  cv::Point2f centroid(0, 0);
  for (const auto& p : poly) centroid += p;
  centroid *= 1.0f / static_cast<float>(n);
  // Each edge i (poly[i] -> poly[i+1]) moved outward: a point on it and its direction.
  std::vector<cv::Point2f> origin(n), dir(n);
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f a = poly[i], b = poly[(i + 1) % n];
    cv::Point2f d = b - a;
    d *= 1.0f / std::hypot(d.x, d.y);
    cv::Point2f normal(d.y, -d.x);
    if (normal.dot((a + b) * 0.5f - centroid) < 0) normal = -normal;
    origin[i] = a + normal * dist;
    dir[i] = d;
  }
  std::vector<cv::Point2f> out(n);
  for (size_t i = 0; i < n; ++i) {  // vertex i joins edge i-1 and edge i
    const size_t prev = (i + n - 1) % n;
    const cv::Point2f p = origin[prev], r = dir[prev], q = origin[i], s = dir[i];
    const float cross = r.x * s.y - r.y * s.x;
    if (std::abs(cross) < 1e-6f) {
      out[i] = q;  // collinear edges: the shifted vertex lies on both
      continue;
    }
    const cv::Point2f qp = q - p;
    const float t = (qp.x * s.y - qp.y * s.x) / cross;
    out[i] = p + r * t;
  }
  return out;
}

std::vector<cv::Point2f> unclip(const std::vector<cv::Point2f>& polygon, float ratio) {
  const double area = std::abs(cv::contourArea(polygon));
  const double perimeter = cv::arcLength(polygon, true);
  if (perimeter <= 0) return polygon;
  return offset_convex_polygon(polygon, static_cast<float>(area * ratio / perimeter));
}

Quad order_corners(const cv::Point2f (&pts)[4]) {
  std::array<cv::Point2f, 4> p{pts[0], pts[1], pts[2], pts[3]};
  std::sort(p.begin(), p.end(), [](auto a, auto b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  const auto [tl, bl] = p[0].y <= p[1].y ? std::pair{p[0], p[1]} : std::pair{p[1], p[0]};
  const auto [tr, br] = p[2].y <= p[3].y ? std::pair{p[2], p[3]} : std::pair{p[3], p[2]};
  return {Point{tl.x, tl.y}, Point{tr.x, tr.y}, Point{br.x, br.y}, Point{bl.x, bl.y}};
}

Quad rotate_quad(const Quad& q, int clockwise_degrees, int w, int h) {
  cv::Point2f pts[4];
  const float fw = static_cast<float>(w), fh = static_cast<float>(h);
  for (int i = 0; i < 4; ++i) {
    const float x = q[i].x, y = q[i].y;
    switch (((clockwise_degrees % 360) + 360) % 360) {
      case 90: pts[i] = {fh - y, x}; break;
      case 180: pts[i] = {fw - x, fh - y}; break;
      case 270: pts[i] = {y, fw - x}; break;
      default: pts[i] = {x, y};
    }
  }
  return order_corners(pts);
}

std::vector<DetectedLine> db_boxes(const cv::Mat& probability, const DbParams& params, float scale_x, float scale_y,
                                   int out_w, int out_h, DbStats* stats) {
  CV_Assert(probability.type() == CV_32F);
  cv::Mat mask = probability > params.threshold;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  std::vector<DetectedLine> lines;
  DbStats seen;
  const auto grown = [](const cv::Point2f (&core)[4], float ratio) {
    return cv::minAreaRect(unclip({core[0], core[1], core[2], core[3]}, ratio));
  };
  const auto to_output = [&](const cv::RotatedRect& rect) {
    cv::Point2f pts[4];
    rect.points(pts);
    for (auto& p : pts) {
      p.x = std::clamp(std::round(p.x * scale_x), 0.0f, static_cast<float>(out_w));
      p.y = std::clamp(std::round(p.y * scale_y), 0.0f, static_cast<float>(out_h));
    }
    return order_corners(pts);
  };
  const size_t candidates = std::min(contours.size(), static_cast<size_t>(params.max_candidates));
  for (size_t c = 0; c < candidates; ++c) {
    const cv::RotatedRect rect = cv::minAreaRect(contours[c]);
    if (std::min(rect.size.width, rect.size.height) < params.min_size) {
      ++seen.too_thin;
      continue;
    }
    cv::Point2f core[4];
    rect.points(core);
    if (box_score(probability, core) < params.box_threshold) continue;
    const cv::RotatedRect crop = grown(core, params.unclip_ratio);
    if (std::min(crop.size.width, crop.size.height) < params.min_size + 2) continue;
    DetectedLine line;
    line.crop = to_output(crop);
    line.box = params.box_unclip_ratio == params.unclip_ratio ? line.crop : to_output(grown(core, params.box_unclip_ratio));
    lines.push_back(line);
  }
  seen.boxes = static_cast<int>(lines.size());
  if (stats) *stats = seen;
  return lines;
}

bool text_too_small(const DbStats& stats) {
  // At the default 960 px, receipts and pages of readable-sized text leave at most 0.46 thin
  // specks per box (SROIE: <= 0.3); newspapers and notes scanned at 2,000-3,500 px, whose
  // body text the detector misses there, leave 0.7-3.4.
  constexpr int kMinSpecks = 16;
  return stats.too_thin >= kMinSpecks && stats.too_thin * 5 >= stats.boxes * 3;
}

cv::Size detector_map_size(cv::Size image, int max_side) {
  const int longest = std::max(image.width, image.height);
  const double ratio = longest > max_side ? static_cast<double>(max_side) / longest : 1.0;
  const auto side = [ratio](int length) { return std::max(32, static_cast<int>(std::lround(length * ratio / 32.0)) * 32); };
  return {side(image.width), side(image.height)};
}

namespace {

// Length of each of `count` tiles covering `length` with neighbours overlapping by at least
// `overlap`: a multiple of 32, no longer than the map.
int tile_length(int length, int count, int overlap) {
  const int shortest = (length + (count - 1) * overlap + count - 1) / count;
  return std::min(length, (shortest + 31) / 32 * 32);
}

// The tiles' [begin, end) along one axis and the part each owns: the seam between two
// neighbours is the middle of their overlap.
struct AxisTile {
  int begin, end, owned_begin, owned_end;
};
std::vector<AxisTile> axis_tiles(int length, int count, int tile) {
  std::vector<AxisTile> tiles(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Spread evenly, the last one flush with the end: steps of at most ceil((length - tile) /
    // (count - 1)), which tile_length keeps within tile - overlap.
    const int begin = count == 1 ? 0 : static_cast<int>(static_cast<int64_t>(i) * (length - tile) / (count - 1));
    tiles[static_cast<size_t>(i)] = {begin, begin + tile, 0, length};
  }
  for (size_t i = 1; i < tiles.size(); ++i) {
    const int seam = (tiles[i].begin + tiles[i - 1].end) / 2;
    tiles[i - 1].owned_end = seam;
    tiles[i].owned_begin = seam;
  }
  return tiles;
}

}  // namespace

std::vector<DetTile> plan_tiles(cv::Size size, int64_t max_area, int overlap) {
  if (size.width <= 0 || size.height <= 0) return {};
  // The fewest pixels to run among the plans whose tiles fit max_area; where none fits, the
  // one with the smallest tiles.
  struct Choice {
    int nx = 1, ny = 1;
    int64_t cost = -1, tile_area = 0;
  } best, smallest;
  const int max_x = std::clamp(size.width / 32, 1, 64), max_y = std::clamp(size.height / 32, 1, 64);
  for (int nx = 1; nx <= max_x; ++nx)
    for (int ny = 1; ny <= max_y; ++ny) {
      const int64_t area = static_cast<int64_t>(tile_length(size.width, nx, overlap)) * tile_length(size.height, ny, overlap);
      const int64_t cost = area * nx * ny;
      if (area <= max_area && (best.cost < 0 || cost < best.cost)) best = {nx, ny, cost, area};
      if (smallest.cost < 0 || area < smallest.tile_area) smallest = {nx, ny, cost, area};
    }
  const Choice& chosen = best.cost >= 0 ? best : smallest;
  const int tw = tile_length(size.width, chosen.nx, overlap), th = tile_length(size.height, chosen.ny, overlap);
  std::vector<DetTile> tiles;
  for (const AxisTile& y : axis_tiles(size.height, chosen.ny, th))
    for (const AxisTile& x : axis_tiles(size.width, chosen.nx, tw))
      tiles.push_back({cv::Rect(x.begin, y.begin, tw, th),
                       cv::Rect(x.owned_begin, y.owned_begin, x.owned_end - x.owned_begin, y.owned_end - y.owned_begin)});
  return tiles;
}

cv::Mat tiled_probability(const cv::Mat& image, int64_t max_area, int overlap,
                          const std::function<cv::Mat(const cv::Mat& tile)>& detect_tile) {
  cv::Mat map(image.size(), CV_32F);
  for (const DetTile& tile : plan_tiles(image.size(), max_area, overlap)) {
    const cv::Mat probability = detect_tile(image(tile.area));
    if (probability.type() != CV_32F || probability.size() != tile.area.size())
      throw std::invalid_argument("detector tile map does not match its tile");
    probability(cv::Rect(tile.owned.tl() - tile.area.tl(), tile.owned.size())).copyTo(map(tile.owned));
  }
  return map;
}

namespace {
cv::Size crop_size(const Quad& q) {
  const cv::Point2f p[4] = {{q[0].x, q[0].y}, {q[1].x, q[1].y}, {q[2].x, q[2].y}, {q[3].x, q[3].y}};
  return {std::max(1, static_cast<int>(std::max(distance(p[0], p[1]), distance(p[2], p[3])))),
          std::max(1, static_cast<int>(std::max(distance(p[0], p[3]), distance(p[1], p[2]))))};
}
}  // namespace

bool crop_is_turned(const Quad& box) {
  const cv::Size size = crop_size(box);
  return size.height >= 1.5 * size.width;
}

cv::Mat crop_quad(const cv::Mat& image, const Quad& q) {
  const cv::Point2f p[4] = {{q[0].x, q[0].y}, {q[1].x, q[1].y}, {q[2].x, q[2].y}, {q[3].x, q[3].y}};
  const cv::Size size = crop_size(q);
  const float w = static_cast<float>(size.width), h = static_cast<float>(size.height);
  const cv::Point2f dst[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  const cv::Mat transform = cv::getPerspectiveTransform(p, dst);
  cv::Mat crop;
  cv::warpPerspective(image, crop, transform, size, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  if (crop_is_turned(q)) cv::rotate(crop, crop, cv::ROTATE_90_COUNTERCLOCKWISE);
  return crop;
}

Quad sub_quad(const Quad& box, const Quad& crop, float from, float to, bool turned, bool flipped) {
  from = std::clamp(from, 0.0f, 1.0f), to = std::clamp(to, from, 1.0f);
  if (flipped) std::tie(from, to) = std::pair{1 - to, 1 - from};
  // A turned crop reads from the region's top (crop x) down; otherwise from its left.
  const Point box_start = box[0], box_end = turned ? box[3] : box[1];
  const Point crop_start = crop[0], crop_end = turned ? crop[3] : crop[1];
  // Fractions of the crop -> fractions of the box: project the crop's points onto the box's
  // reading direction.
  const float dx = box_end.x - box_start.x, dy = box_end.y - box_start.y, length2 = dx * dx + dy * dy;
  if (length2 > 0) {
    const auto onto_box = [&](float f) {
      const float x = crop_start.x + (crop_end.x - crop_start.x) * f - box_start.x;
      const float y = crop_start.y + (crop_end.y - crop_start.y) * f - box_start.y;
      return std::clamp((x * dx + y * dy) / length2, 0.0f, 1.0f);
    };
    from = onto_box(from), to = onto_box(to);
  }
  const auto lerp = [](Point a, Point b, float t) { return Point{a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t}; };
  if (turned) return {lerp(box[0], box[3], from), lerp(box[1], box[2], from), lerp(box[1], box[2], to), lerp(box[0], box[3], to)};
  return {lerp(box[0], box[1], from), lerp(box[0], box[1], to), lerp(box[3], box[2], to), lerp(box[3], box[2], from)};
}

int space_class(const std::vector<std::string>& labels) {
  // PP-OCR appends the space class after the dictionary: search from the end.
  for (size_t i = labels.size(); i-- > 1;)
    if (labels[i] == " ") return static_cast<int>(i);
  return -1;
}

bool is_unspaced_script(const std::string& s) {
  if (s.empty()) return false;
  const auto b = [&](size_t i) { return i < s.size() ? static_cast<uint32_t>(static_cast<uint8_t>(s[i])) : 0u; };
  char32_t c = b(0);
  if (c >= 0xF0) c = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  else if (c >= 0xE0) c = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  else if (c >= 0xC0) c = ((c & 0x1F) << 6) | (b(1) & 0x3F);
  return (c >= 0x2E80 && c <= 0x9FFF) ||    // CJK radicals, punctuation, kana, Han
         (c >= 0xF900 && c <= 0xFAFF) ||    // CJK compatibility ideographs
         (c >= 0xFE30 && c <= 0xFE4F) ||    // CJK compatibility forms
         (c >= 0xFF00 && c <= 0xFFEF) ||    // full-width and half-width forms
         (c >= 0x20000 && c <= 0x3FFFF);    // Han extensions
}

CtcResult ctc_greedy_decode(const float* probs, int frames, int classes, const std::vector<std::string>& labels,
                            float word_gap) {
  struct Emitted {
    int label, first, last;  // frames [first, last] of its run
    float confidence;
    float centre() const { return 0.5f * static_cast<float>(first + last + 1); }
  };
  std::vector<Emitted> kept;
  double confidence_sum = 0;
  int previous = -1;
  for (int t = 0; t < frames; ++t) {
    const float* row = probs + static_cast<size_t>(t) * classes;
    const int best = static_cast<int>(std::max_element(row, row + classes) - row);
    if (best != 0 && best == previous && !kept.empty() && kept.back().label == best) {
      kept.back().last = t;
    } else if (best != 0 && best != previous && best < static_cast<int>(labels.size())) {
      kept.push_back({best, t, t, row[best]});
      confidence_sum += row[best];
    }
    previous = best;
  }
  CtcResult result;
  result.confidence = kept.empty() ? 0.0f : static_cast<float>(confidence_sum / static_cast<double>(kept.size()));
  const int space = space_class(labels);
  std::vector<char> unspaced(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) unspaced[i] = is_unspaced_script(labels[kept[i].label]);
  const auto is_spaced_char = [&](size_t i) { return kept[i].label != space && !unspaced[i]; };
  // The line's character pitch: the median distance between neighbouring characters of spaced
  // scripts (CJK glyphs are wider and would inflate it).
  float pitch = 0;
  {
    std::vector<float> gaps;
    for (size_t i = 1; i < kept.size(); ++i)
      if (is_spaced_char(i - 1) && is_spaced_char(i)) gaps.push_back(kept[i].centre() - kept[i - 1].centre());
    if (gaps.size() >= 3) {
      std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
      pitch = gaps[gaps.size() / 2];
    }
  }
  // The space class's own evidence in the frames between two characters.
  const auto space_evidence = [&](int from, int to) {
    float best = 0;
    if (space <= 0 || space >= classes) return best;
    for (int t = from + 1; t < to; ++t) best = std::max(best, probs[static_cast<size_t>(t) * classes + space]);
    return best;
  };
  // Wide gaps alone also split wide capitals ("T otal"); the model's space probability rising
  // above this in the gap is what separates a word break (tuned on SROIE: CER 6.3% -> 5.9%;
  // rechecked with the word-gap factor at 1.2: 0.002 and 0.03 were both worse).
  constexpr float kMinSpaceEvidence = 0.01f;
  // A space the model nearly emitted (blank won that frame) is a break however narrow the gap:
  // a frame is 8 input pixels, a condensed capital's pitch 2-3 frames, so "TAX INVOICE" and
  // "AMOUNT TAX" show no wider gap than their letters (sroie_train 100: exact lines +0.2 points;
  // 0.1 split more words wrongly).
  constexpr float kStrongSpaceEvidence = 0.15f;
  static const std::string kNone;
  const auto text_of = [&](size_t i) -> const std::string& { return labels[kept[i].label]; };
  const auto restored_break = [&](size_t i) {
    if (word_gap <= 0 || pitch <= 0 || !is_spaced_char(i - 1) || !is_spaced_char(i)) return false;
    const float factor = word_gap * word_gap_scale(i >= 2 ? text_of(i - 2) : kNone, text_of(i - 1), text_of(i));
    if (factor <= 0) return false;
    const float evidence = space_evidence(kept[i - 1].last, kept[i].first);
    return evidence >= kStrongSpaceEvidence ||
           (kept[i].centre() - kept[i - 1].centre() > factor * pitch && evidence >= kMinSpaceEvidence);
  };

  // Words: characters between spaces (emitted or restored), and a run of unspaced script.
  struct Span {
    size_t first, last;  // indices into kept
  };
  std::vector<Span> spans;
  bool space_before = false;  // an emitted space since the last character
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].label == space) {
      space_before = true;
      continue;
    }
    const bool restored = i > 0 && restored_break(i);
    if (!spans.empty() && (space_before || restored)) result.text += ' ';
    // A change of script without a space ("面Instant") starts a word but writes none.
    if (spans.empty() || space_before || restored || unspaced[i] != unspaced[spans.back().last]) spans.push_back({i, i});
    result.text += labels[kept[i].label];
    spans.back().last = i;
    space_before = false;
  }
  // A character's extent: half the typical pitch either side of its centre, never past the
  // midpoint to a neighbour.
  const float half = 0.5f * (pitch > 0 ? pitch : 3.0f);
  for (const Span& span : spans) {
    CtcWord word;
    double sum = 0;
    for (size_t i = span.first; i <= span.last; ++i) {
      word.text += labels[kept[i].label];
      sum += kept[i].confidence;
    }
    word.confidence = static_cast<float>(sum / static_cast<double>(span.last - span.first + 1));
    const float own_half = unspaced[span.first] ? 2 * half : half;  // CJK glyphs are about twice as wide
    const Emitted& a = kept[span.first];
    const Emitted& z = kept[span.last];
    word.begin = a.centre() - own_half;
    if (span.first > 0) word.begin = std::max(word.begin, 0.5f * (kept[span.first - 1].centre() + a.centre()));
    word.end = z.centre() + (unspaced[span.last] ? 2 * half : half);
    if (span.last + 1 < kept.size()) word.end = std::min(word.end, 0.5f * (z.centre() + kept[span.last + 1].centre()));
    word.begin = std::max(word.begin, 0.0f);
    word.end = std::clamp(word.end, word.begin + 0.5f, static_cast<float>(frames));
    result.words.push_back(std::move(word));
  }
  return result;
}

std::string assign_reading_order(std::vector<TextLine>& lines) {
  const size_t n = lines.size();
  struct Geometry {
    float cx, cy, height, slope;
  };
  std::vector<Geometry> geo(n);
  std::vector<float> slopes;
  for (size_t i = 0; i < n; ++i) {
    const Quad& b = lines[i].box;
    const float cx = (b[0].x + b[1].x + b[2].x + b[3].x) / 4, cy = (b[0].y + b[1].y + b[2].y + b[3].y) / 4;
    const float height = (std::hypot(b[3].x - b[0].x, b[3].y - b[0].y) + std::hypot(b[2].x - b[1].x, b[2].y - b[1].y)) / 2;
    const float dx = b[1].x - b[0].x;
    const float slope = dx > 1 ? std::clamp((b[1].y - b[0].y) / dx, -0.3f, 0.3f) : 0.0f;
    geo[i] = {cx, cy, std::max(height, 1.0f), slope};
    if (dx > 2 * height) slopes.push_back(slope);  // long lines tell the page's skew reliably
  }
  float skew = 0;
  if (!slopes.empty()) {
    std::nth_element(slopes.begin(), slopes.begin() + slopes.size() / 2, slopes.end());
    skew = slopes[slopes.size() / 2];
  }
  // y of each line with the page's skew removed: lines of one row share it.
  auto level = [&](size_t i) { return geo[i].cy - skew * geo[i].cx; };
  std::vector<size_t> by_level(n);
  std::iota(by_level.begin(), by_level.end(), size_t{0});
  std::sort(by_level.begin(), by_level.end(), [&](size_t a, size_t b) { return level(a) < level(b); });
  std::vector<std::vector<size_t>> rows;
  for (size_t i : by_level) {
    int best_row = -1;
    float best_gap = std::numeric_limits<float>::max();
    for (size_t r = 0; r < rows.size(); ++r) {
      // Compare with the row's member nearest in x: rows may bend slightly across the page.
      size_t nearest = rows[r].front();
      for (size_t j : rows[r])
        if (std::abs(geo[j].cx - geo[i].cx) < std::abs(geo[nearest].cx - geo[i].cx)) nearest = j;
      const float gap = std::abs(level(i) - level(nearest));
      if (gap < 0.5f * std::min(geo[i].height, geo[nearest].height) && gap < best_gap) {
        best_gap = gap;
        best_row = static_cast<int>(r);
      }
    }
    if (best_row < 0) {
      rows.push_back({i});
    } else {
      rows[static_cast<size_t>(best_row)].push_back(i);
    }
  }
  auto row_level = [&](const std::vector<size_t>& row) {
    float sum = 0;
    for (size_t i : row) sum += level(i);
    return sum / static_cast<float>(row.size());
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) { return row_level(a) < row_level(b); });
  std::vector<TextLine> ordered;
  ordered.reserve(n);
  std::string text;
  for (size_t r = 0; r < rows.size(); ++r) {
    auto& row = rows[r];
    // A row written mostly in a right-to-left script (its lines, or the pieces the detector cut
    // one line into) reads from the right.
    size_t rtl = 0, ltr = 0;
    for (size_t i : row) {
      const Script script = dominant_script(lines[i].text);
      if (script == Script::arabic || script == Script::hebrew)
        rtl += lines[i].text.size();
      else if (script != Script::unknown)
        ltr += lines[i].text.size();
    }
    const bool right_to_left = rtl > ltr;
    std::sort(row.begin(), row.end(), [&](size_t a, size_t b) { return right_to_left ? geo[a].cx > geo[b].cx : geo[a].cx < geo[b].cx; });
    if (r) text += '\n';
    for (size_t k = 0; k < row.size(); ++k) {
      TextLine line = std::move(lines[row[k]]);
      line.row = static_cast<int>(r);
      line.order = static_cast<int>(ordered.size());
      if (k) text += ' ';
      text += line.text;
      ordered.push_back(std::move(line));
    }
  }
  lines = std::move(ordered);
  return text;
}

}  // namespace edgeocr::ocr::detail
