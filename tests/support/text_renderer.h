// Test helpers shared by every area: render UTF-8 text with the Noto CJK font (black on white),
// degrade images, rotate them with their text boxes, compose receipt-like pages, and score
// results (CER over code points, IoU of quads).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/types.h"

namespace edgeocr::test {

// Folders the build configured (compile definitions EDGEOCR_MODEL_DIR / EDGEOCR_SHARED_DIR).
std::filesystem::path model_dir();
std::filesystem::path shared_dir();

inline constexpr const char* kDefaultFont = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

struct DrawnLine {
  std::string text;
  ocr::Quad box{};  // tight box around the inked pixels, TL,TR,BR,BL
};

class TextRenderer {
 public:
  // Opens the Simplified Chinese face of the collection (falls back to face 0). Throws on failure.
  explicit TextRenderer(const std::filesystem::path& font = kDefaultFont);
  TextRenderer(TextRenderer&&) noexcept;
  TextRenderer& operator=(TextRenderer&&) noexcept;
  ~TextRenderer();

  // Draws `utf8` in black on the 8-bit (1 or 3 channel) image with its line box's top-left
  // corner at `top_left` (the baseline is top_left.y + ascender). Returns the tight ink box.
  DrawnLine draw(cv::Mat& image, const std::string& utf8, cv::Point top_left, int pixel_size) const;
  // Advance width of the line in pixels, and the line height (ascender - descender).
  int text_width(const std::string& utf8, int pixel_size) const;
  int line_height(int pixel_size) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A rendered page: image (8-bit BGR), the drawn lines, and the text the OCR should read
// (rows joined by '\n', same-row pieces by ' ').
struct Page {
  cv::Mat image;
  std::vector<DrawnLine> lines;
  std::string text;
};

// One white image with a single line of text and a margin around it.
Page render_line(const TextRenderer& renderer, const std::string& utf8, int pixel_size = 32, int margin = 24);

// A receipt-like page: each entry is one row; a '\t' splits a row into a left-aligned and a
// right-aligned piece (e.g. "Milk\t4.50"). Empty entries leave a blank row.
Page compose_receipt(const TextRenderer& renderer, const std::vector<std::string>& rows, int pixel_size = 28,
                     int page_width = 640, int margin = 32);

// Degradations (in place, deterministic for a given seed).
void add_gaussian_noise(cv::Mat& image, double sigma, uint64_t seed = 1);
void gaussian_blur(cv::Mat& image, double sigma);
// Rotates by a small angle (degrees, counter-clockwise positive as in OpenCV) about the centre,
// growing the canvas to fit, white border; transforms the boxes with it.
void rotate_small(Page& page, double degrees);
// Rotates clockwise by 90/180/270 degrees; boxes are transformed too (their corner order then
// follows the image, not the text).
void rotate_quarter(Page& page, int clockwise_degrees);

std::vector<uint8_t> encode(const cv::Mat& image, const std::string& ext = ".png");

// Character error rate: Levenshtein distance over UTF-8 code points / code points in `expected`
// (expected empty: 0 if actual empty, else 1).
double cer(const std::string& expected, const std::string& actual);
size_t edit_distance(const std::string& a, const std::string& b);
std::u32string to_u32(const std::string& utf8);

// Intersection over union of two convex quads (any corner order).
double quad_iou(const ocr::Quad& a, const ocr::Quad& b);

}  // namespace edgeocr::test
