// Pipeline stages that need no model, exposed for unit tests: DB box extraction, polygon
// offset (unclip), corner ordering, crop warping, greedy CTC decoding, reading order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/types.h"

namespace edgeocr::ocr::detail {

struct DbParams {
  float threshold = 0.3f;      // probability -> text pixel
  float box_threshold = 0.6f;  // mean probability inside a candidate box
  float unclip_ratio = 1.5f;
  int max_candidates = 1000;
  float min_size = 3;          // shorter side of a candidate box, map pixels
};

// Text boxes from a DB probability map (CV_32F, values 0..1). Boxes are scaled by
// (scale_x, scale_y) into output coordinates and clipped to [0,out_w]x[0,out_h]; corners TL,TR,BR,BL.
std::vector<Quad> db_boxes(const cv::Mat& probability, const DbParams& params, float scale_x, float scale_y,
                           int out_w, int out_h);

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

struct CtcResult {
  std::string text;
  float confidence = 0;  // mean max-probability of the kept frames (0 if none)
};
// Greedy CTC over one sequence of `frames` x `classes` probabilities: argmax per frame, repeats
// collapsed, blanks (0) dropped. With `word_gap` > 0, a space is restored between two Latin
// characters/digits whose frames are more than `word_gap` times the line's median character
// pitch apart and between which the space class gets some probability (the Chinese PP-OCRv4
// recognizer often ranks blank above space between words).
CtcResult ctc_greedy_decode(const float* probabilities, int frames, int classes, const std::vector<std::string>& labels,
                            float word_gap = 0);

// Groups lines into rows (robust to slight skew), orders rows top to bottom and lines left to
// right; sorts `lines` into that order, fills row/order and returns the joined text.
std::string assign_reading_order(std::vector<TextLine>& lines);

}  // namespace edgeocr::ocr::detail
