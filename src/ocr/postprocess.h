// Pipeline stages that need no model, exposed for unit tests: DB box extraction, polygon
// offset (unclip), corner ordering, crop warping, greedy CTC decoding, reading order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/types.h"

namespace edgeocr::ocr::detail {

struct DbParams {
  float threshold = 0.3f;      // probability -> text pixel
  float box_threshold = 0.6f;  // mean probability inside a candidate box
  // How far a text core is grown (DB's unclip): for the region cropped for the recognizer (the
  // margin the models were trained to read with), and for the line box reported, which is
  // closer to the text's own extent.
  float unclip_ratio = 1.5f;
  float box_unclip_ratio = 1.5f;
  int max_candidates = 1000;
  float min_size = 3;          // shorter side of a candidate box, map pixels
};

// What a DB pass saw besides its boxes.
struct DbStats {
  int boxes = 0;
  // Candidate text regions thinner than min_size: text too small for the map's scale leaves
  // such specks instead of lines.
  int too_thin = 0;
};

// A text line found by the detector: its box, and the region around it that the recognizer reads
// (both from the same core, on one centre line; corners TL,TR,BR,BL).
struct DetectedLine {
  Quad box, crop;
};

// Text lines from a DB probability map (CV_32F, values 0..1): the box grown by
// params.box_unclip_ratio, the crop by params.unclip_ratio. Both are scaled by (scale_x, scale_y)
// into output coordinates and clipped to [0,out_w]x[0,out_h].
std::vector<DetectedLine> db_boxes(const cv::Mat& probability, const DbParams& params, float scale_x, float scale_y,
                                   int out_w, int out_h, DbStats* stats = nullptr);

// Whether a DB pass lost text for being too small at its scale (many thin specks beside the
// boxes it found), so that a pass at a finer scale would find more.
bool text_too_small(const DbStats& stats);

// Size of the detector's input map for an image: scaled down (never up) so that its longest
// side is at most max_side, then each side rounded to the nearest multiple of 32 (at least 32).
cv::Size detector_map_size(cv::Size image, int max_side);

// Overlap of neighbouring detector tiles, map pixels: each tile's output is used from 48 px
// inside its edges, where the detector still sees enough of the text around.
inline constexpr int kDetTileOverlap = 96;

// One detector tile: the part of the map it is run on, and the part of the map its output fills.
struct DetTile {
  cv::Rect area, owned;
};
// Tiles covering a map of `size` (both sides multiples of 32): each tile's sides are multiples of
// 32 and its area at most max_area pixels (where the map allows: a map narrower than 32 * n is
// never cut finer), neighbours overlap by at least `overlap`, and the owned parts split the map
// between them with the seams in the middle of the overlaps, away from the tile edges where the
// detector lacks context. Among the plans that fit, the one with the fewest pixels to run.
std::vector<DetTile> plan_tiles(cv::Size size, int64_t max_area, int overlap);

// The probability map of `image` (sides multiples of 32) put together from `detect_tile` run on
// each tile of plan_tiles(image.size(), max_area, overlap); detect_tile returns a CV_32F map of
// its tile's size.
cv::Mat tiled_probability(const cv::Mat& image, int64_t max_area, int overlap,
                          const std::function<cv::Mat(const cv::Mat& tile)>& detect_tile);

// Offsets a convex polygon outward by `distance` (each edge moved along its outer normal,
// neighbouring edges intersected).
std::vector<cv::Point2f> offset_convex_polygon(const std::vector<cv::Point2f>& polygon, float distance);
// DB's unclip: offset by area * ratio / perimeter.
std::vector<cv::Point2f> unclip(const std::vector<cv::Point2f>& polygon, float ratio);

// TL,TR,BR,BL: the two leftmost points are the left side (upper one first), the others the right.
Quad order_corners(const cv::Point2f (&pts)[4]);
// Corners of a box after rotating the w x h image that holds it clockwise by 90/180/270, re-ordered.
Quad rotate_quad(const Quad& q, int clockwise_degrees, int w, int h);

// The quad's content warped to an upright width x height crop (8-bit BGR); tall crops
// (height >= 1.5 * width) are turned 90° counter-clockwise so vertical text reads left to right.
cv::Mat crop_quad(const cv::Mat& image, const Quad& q);

// Index of the space class in `labels` (the label " "), or -1 when the dictionary has none.
int space_class(const std::vector<std::string>& labels);
// Whether a character belongs to a script written without spaces between words (Han, kana,
// CJK punctuation, full-width forms): no space is ever restored next to one, and a run of
// them is one word.
bool is_unspaced_script(const std::string& utf8_character);

// A word of a decoded line, located in CTC frames (frame t covers [t, t+1)).
struct CtcWord {
  std::string text;
  float confidence = 0;     // mean max-probability of its characters
  float begin = 0, end = 0;  // extent in frames, begin < end
};

struct CtcResult {
  std::string text;
  float confidence = 0;  // mean max-probability of the kept frames (0 if none)
  std::vector<CtcWord> words;  // Latin split at spaces, a run of unspaced script one word
};
// Greedy CTC over one sequence of `frames` x `classes` probabilities: argmax per frame, repeats
// collapsed, blanks (0) dropped. With `word_gap` > 0, a space is restored between two
// characters of spaced scripts whose frames are more than `word_gap` times the line's median
// character pitch apart and between which the space class gets some probability, or where the
// space class came close to winning a frame (the Chinese PP-OCR recognizers often rank blank
// above space between words). The factor depends on the two characters: none is restored just
// inside brackets, and less gap is needed after a label's colon. Never next to an unspaced
// script's character. The space class is found in `labels` (see space_class), so any PP-OCR
// dictionary works.
CtcResult ctc_greedy_decode(const float* probabilities, int frames, int classes, const std::vector<std::string>& labels,
                            float word_gap = 0);

// The part of a line box holding the text between fractions `from` and `to` (0..1) of the width
// of the recognizer's crop, cut from `crop` (the box itself, or a region around it on the same
// centre line), in the box's own corner order. `turned`: the crop was turned 90°
// counter-clockwise (tall region, see crop_quad); `flipped`: the crop was read turned by 180°.
Quad sub_quad(const Quad& box, const Quad& crop, float from, float to, bool turned, bool flipped);
// Whether crop_quad turns the crop of this box 90° counter-clockwise (a tall box).
bool crop_is_turned(const Quad& box);

// Groups lines into rows (robust to slight skew), orders rows top to bottom and lines left to
// right (right to left in a row written mostly in Arabic or Hebrew); sorts `lines` into that order, fills row/order and returns the joined text.
std::string assign_reading_order(std::vector<TextLine>& lines);

}  // namespace edgeocr::ocr::detail
