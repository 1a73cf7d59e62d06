#include "support/text_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

#include <ft2build.h>
#include FT_FREETYPE_H

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace edgeocr::test {

std::filesystem::path model_dir() { return EDGEOCR_MODEL_DIR; }
std::filesystem::path shared_dir() { return EDGEOCR_SHARED_DIR; }

std::u32string to_u32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    if (i + len > s.size()) len = 1;
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

struct TextRenderer::Impl {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  mutable int current_size = 0;

  ~Impl() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
  void set_size(int px) const {
    if (px == current_size) return;
    if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(px))) throw std::runtime_error("FT_Set_Pixel_Sizes failed");
    current_size = px;
  }
};

TextRenderer::TextRenderer(const std::filesystem::path& font) : impl_(std::make_unique<Impl>()) {
  if (FT_Init_FreeType(&impl_->library)) throw std::runtime_error("FreeType init failed");
  FT_Face probe = nullptr;
  if (FT_New_Face(impl_->library, font.c_str(), 0, &probe)) throw std::runtime_error("cannot open font " + font.string());
  const long faces = probe->num_faces;
  FT_Done_Face(probe);
  long chosen = 0;
  for (long i = 0; i < faces; ++i) {  // prefer the Simplified Chinese design (the models read SC best)
    FT_Face f = nullptr;
    if (FT_New_Face(impl_->library, font.c_str(), i, &f)) continue;
    const bool sc = f->family_name && std::strstr(f->family_name, " SC") != nullptr;
    FT_Done_Face(f);
    if (sc) {
      chosen = i;
      break;
    }
  }
  if (FT_New_Face(impl_->library, font.c_str(), chosen, &impl_->face)) throw std::runtime_error("cannot open font face");
}
TextRenderer::TextRenderer(TextRenderer&&) noexcept = default;
TextRenderer& TextRenderer::operator=(TextRenderer&&) noexcept = default;
TextRenderer::~TextRenderer() = default;

int TextRenderer::line_height(int pixel_size) const {
  impl_->set_size(pixel_size);
  const auto& m = impl_->face->size->metrics;
  return static_cast<int>((m.ascender - m.descender) >> 6);
}

int TextRenderer::text_width(const std::string& utf8, int pixel_size) const {
  impl_->set_size(pixel_size);
  long width = 0;
  for (char32_t cp : to_u32(utf8)) {
    if (FT_Load_Char(impl_->face, cp, FT_LOAD_DEFAULT)) continue;
    width += impl_->face->glyph->advance.x >> 6;
  }
  return static_cast<int>(width);
}

DrawnLine TextRenderer::draw(cv::Mat& image, const std::string& utf8, cv::Point top_left, int pixel_size) const {
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw std::invalid_argument("draw: need an 8-bit gray or BGR image");
  impl_->set_size(pixel_size);
  FT_Face face = impl_->face;
  const int baseline = top_left.y + static_cast<int>(face->size->metrics.ascender >> 6);
  int pen_x = top_left.x;
  int min_x = INT32_MAX, min_y = INT32_MAX, max_x = INT32_MIN, max_y = INT32_MIN;
  const int channels = image.channels();
  for (char32_t cp : to_u32(utf8)) {
    if (FT_Load_Char(face, cp, FT_LOAD_RENDER)) continue;
    const FT_GlyphSlot g = face->glyph;
    const FT_Bitmap& bm = g->bitmap;
    const int x0 = pen_x + g->bitmap_left, y0 = baseline - g->bitmap_top;
    for (unsigned r = 0; r < bm.rows; ++r) {
      const int y = y0 + static_cast<int>(r);
      if (y < 0 || y >= image.rows) continue;
      const unsigned char* src = bm.buffer + static_cast<long>(r) * bm.pitch;
      uint8_t* dst = image.ptr<uint8_t>(y);
      for (unsigned c = 0; c < bm.width; ++c) {
        const int x = x0 + static_cast<int>(c);
        if (x < 0 || x >= image.cols || src[c] == 0) continue;
        const uint8_t ink = static_cast<uint8_t>(255 - src[c]);
        for (int ch = 0; ch < channels; ++ch) dst[x * channels + ch] = std::min(dst[x * channels + ch], ink);
        if (src[c] >= 64) {  // count clearly inked pixels for the tight box
          min_x = std::min(min_x, x), max_x = std::max(max_x, x);
          min_y = std::min(min_y, y), max_y = std::max(max_y, y);
        }
      }
    }
    pen_x += static_cast<int>(g->advance.x >> 6);
  }
  DrawnLine line{utf8, {}};
  if (min_x <= max_x) {
    const float l = static_cast<float>(min_x), t = static_cast<float>(min_y);
    const float r = static_cast<float>(max_x + 1), b = static_cast<float>(max_y + 1);
    line.box = {ocr::Point{l, t}, ocr::Point{r, t}, ocr::Point{r, b}, ocr::Point{l, b}};
  }
  return line;
}

Page render_line(const TextRenderer& renderer, const std::string& utf8, int pixel_size, int margin) {
  const int w = renderer.text_width(utf8, pixel_size) + 2 * margin;
  const int h = renderer.line_height(pixel_size) + 2 * margin;
  Page page;
  page.image = cv::Mat(h, w, CV_8UC3, cv::Scalar::all(255));
  page.lines.push_back(renderer.draw(page.image, utf8, {margin, margin}, pixel_size));
  page.text = utf8;
  return page;
}

Page compose_receipt(const TextRenderer& renderer, const std::vector<std::string>& rows, int pixel_size,
                     int page_width, int margin) {
  const int row_step = renderer.line_height(pixel_size) + pixel_size / 2;
  const int height = 2 * margin + row_step * static_cast<int>(rows.size());
  Page page;
  page.image = cv::Mat(height, page_width, CV_8UC3, cv::Scalar::all(255));
  int y = margin;
  std::vector<std::string> text_rows;
  for (const auto& row : rows) {
    if (!row.empty()) {
      const auto tab = row.find('\t');
      const std::string left = row.substr(0, tab);
      std::string joined = left;
      if (!left.empty()) page.lines.push_back(renderer.draw(page.image, left, {margin, y}, pixel_size));
      if (tab != std::string::npos) {
        const std::string right = row.substr(tab + 1);
        const int x = page_width - margin - renderer.text_width(right, pixel_size);
        page.lines.push_back(renderer.draw(page.image, right, {x, y}, pixel_size));
        joined = left.empty() ? right : left + " " + right;
      }
      text_rows.push_back(joined);
    }
    y += row_step;
  }
  for (size_t i = 0; i < text_rows.size(); ++i) page.text += (i ? "\n" : "") + text_rows[i];
  return page;
}

void add_gaussian_noise(cv::Mat& image, double sigma, uint64_t seed) {
  cv::Mat noise(image.size(), CV_MAKETYPE(CV_32F, image.channels()));
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  cv::Mat as_float;
  image.convertTo(as_float, CV_32F);
  as_float += noise;
  as_float.convertTo(image, image.type());  // saturates to 0..255
}

void gaussian_blur(cv::Mat& image, double sigma) { cv::GaussianBlur(image, image, cv::Size(0, 0), sigma); }

namespace {
void transform_boxes(Page& page, const cv::Mat& affine) {
  for (auto& line : page.lines) {
    for (auto& p : line.box) {
      const double x = affine.at<double>(0, 0) * p.x + affine.at<double>(0, 1) * p.y + affine.at<double>(0, 2);
      const double y = affine.at<double>(1, 0) * p.x + affine.at<double>(1, 1) * p.y + affine.at<double>(1, 2);
      p = {static_cast<float>(x), static_cast<float>(y)};
    }
  }
}
}  // namespace

void rotate_small(Page& page, double degrees) {
  const cv::Point2f centre(page.image.cols / 2.0f, page.image.rows / 2.0f);
  cv::Mat affine = cv::getRotationMatrix2D(centre, degrees, 1.0);
  const double rad = degrees * CV_PI / 180.0;
  const int w = static_cast<int>(std::ceil(std::abs(page.image.cols * std::cos(rad)) + std::abs(page.image.rows * std::sin(rad))));
  const int h = static_cast<int>(std::ceil(std::abs(page.image.cols * std::sin(rad)) + std::abs(page.image.rows * std::cos(rad))));
  affine.at<double>(0, 2) += (w - page.image.cols) / 2.0;
  affine.at<double>(1, 2) += (h - page.image.rows) / 2.0;
  cv::Mat out;
  cv::warpAffine(page.image, out, affine, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(255));
  page.image = out;
  transform_boxes(page, affine);
}

void rotate_quarter(Page& page, int clockwise_degrees) {
  const int w = page.image.cols, h = page.image.rows;
  cv::Mat affine = cv::Mat::zeros(2, 3, CV_64F);
  cv::Mat out;
  switch (((clockwise_degrees % 360) + 360) % 360) {
    case 0:
      return;
    case 90:  // (x,y) -> (h-1-y, x)
      cv::rotate(page.image, out, cv::ROTATE_90_CLOCKWISE);
      affine.at<double>(0, 1) = -1, affine.at<double>(0, 2) = h;
      affine.at<double>(1, 0) = 1;
      break;
    case 180:
      cv::rotate(page.image, out, cv::ROTATE_180);
      affine.at<double>(0, 0) = -1, affine.at<double>(0, 2) = w;
      affine.at<double>(1, 1) = -1, affine.at<double>(1, 2) = h;
      break;
    case 270:
      cv::rotate(page.image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      affine.at<double>(0, 1) = 1;
      affine.at<double>(1, 0) = -1, affine.at<double>(1, 2) = w;
      break;
    default:
      throw std::invalid_argument("rotate_quarter: 0/90/180/270 only");
  }
  page.image = out;
  transform_boxes(page, affine);
}

std::vector<uint8_t> encode(const cv::Mat& image, const std::string& ext) {
  std::vector<uint8_t> bytes;
  if (!cv::imencode(ext, image, bytes)) throw std::runtime_error("imencode failed for " + ext);
  return bytes;
}

size_t edit_distance(const std::string& a_utf8, const std::string& b_utf8) {
  const std::u32string a = to_u32(a_utf8), b = to_u32(b_utf8);
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

double cer(const std::string& expected, const std::string& actual) {
  const size_t n = to_u32(expected).size();
  if (n == 0) return actual.empty() ? 0.0 : 1.0;
  return static_cast<double>(edit_distance(expected, actual)) / static_cast<double>(n);
}

double quad_iou(const ocr::Quad& a, const ocr::Quad& b) {
  auto to_poly = [](const ocr::Quad& q) {
    std::vector<cv::Point2f> pts;
    for (const auto& p : q) pts.emplace_back(p.x, p.y);
    std::vector<cv::Point2f> hull;
    cv::convexHull(pts, hull);  // normalises orientation for intersectConvexConvex
    return hull;
  };
  const auto pa = to_poly(a), pb = to_poly(b);
  const double area_a = cv::contourArea(pa), area_b = cv::contourArea(pb);
  if (area_a <= 0 || area_b <= 0) return 0.0;
  std::vector<cv::Point2f> inter;
  const double overlap = cv::intersectConvexConvex(pa, pb, inter, true);
  if (overlap <= 0) return 0.0;
  return overlap / (area_a + area_b - overlap);
}

}  // namespace edgeocr::test
