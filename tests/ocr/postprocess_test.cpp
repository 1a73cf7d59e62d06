// Model-free pipeline stages on synthetic input: DB boxes, unclip, corner order, crops, CTC,
// reading order.
#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "ocr/postprocess.h"

namespace edgeocr::ocr::detail {
namespace {

float width_of(const Quad& q) { return std::hypot(q[1].x - q[0].x, q[1].y - q[0].y); }
float height_of(const Quad& q) { return std::hypot(q[3].x - q[0].x, q[3].y - q[0].y); }

TEST(DbBoxesTest, FindsRectanglesGrownByUnclipAndScaled) {
  cv::Mat prob = cv::Mat::zeros(100, 200, CV_32F);
  prob(cv::Rect(20, 10, 101, 21)).setTo(0.9f);  // 100 x 20 between pixel centres
  prob(cv::Rect(30, 60, 41, 11)).setTo(0.8f);   // 40 x 10
  const auto lines = db_boxes(prob, DbParams{}, 2.0f, 2.0f, 400, 200);
  ASSERT_EQ(lines.size(), 2u);
  const Quad& big = lines[0].crop.front().y < 50 ? lines[0].crop : lines[1].crop;
  const Quad& small = lines[0].crop.front().y < 50 ? lines[1].crop : lines[0].crop;
  // unclip distance = area * 1.5 / perimeter: 100*20*1.5/240 = 12.5; 40*10*1.5/100 = 6.
  EXPECT_NEAR(width_of(big), 2 * (100 + 25), 3);
  EXPECT_NEAR(height_of(big), 2 * (30 + 12.5), 3);  // top clipped at 0, bottom at 30 + 12.5
  EXPECT_NEAR(big[0].x, 2 * (20 - 12.5), 3);
  EXPECT_NEAR(big[0].y, 0, 1);  // clipped at the top edge
  EXPECT_NEAR(width_of(small), 2 * (40 + 12), 3);
  EXPECT_NEAR(height_of(small), 2 * (10 + 12), 3);
  EXPECT_NEAR(small[0].x, 2 * (30 - 6), 3);
  EXPECT_NEAR(small[0].y, 2 * (60 - 6), 3);
  // TL, TR, BR, BL
  EXPECT_LT(small[0].x, small[1].x);
  EXPECT_LT(small[1].y, small[2].y);
  EXPECT_GT(small[2].x, small[3].x);
  // With one unclip ratio for both, the reported box is the region read.
  for (const DetectedLine& line : lines)
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(line.box[i].x, line.crop[i].x);
      EXPECT_EQ(line.box[i].y, line.crop[i].y);
    }
}

TEST(DbBoxesTest, ReportsATighterBoxInsideTheRegionRead) {
  cv::Mat prob = cv::Mat::zeros(100, 200, CV_32F);
  prob(cv::Rect(30, 40, 101, 21)).setTo(0.9f);  // 100 x 20 between pixel centres
  DbParams params;
  params.box_unclip_ratio = 1.0f;
  const auto lines = db_boxes(prob, params, 1, 1, 200, 100);
  ASSERT_EQ(lines.size(), 1u);
  const Quad& box = lines[0].box;
  const Quad& crop = lines[0].crop;
  // unclip distance = 100*20*ratio/240: 12.5 for the crop (1.5), 8.33 for the box (1.0).
  EXPECT_NEAR(width_of(crop), 100 + 25, 2);
  EXPECT_NEAR(height_of(crop), 20 + 25, 2);
  EXPECT_NEAR(width_of(box), 100 + 16.7, 2);
  EXPECT_NEAR(height_of(box), 20 + 16.7, 2);
  EXPECT_NEAR(box[0].x, 30 - 8.3, 1);
  EXPECT_NEAR(box[0].y, 40 - 8.3, 1);
  EXPECT_NEAR(crop[0].x, 30 - 12.5, 1);
}

TEST(DbBoxesTest, DropsLowScoreAndTinyRegions) {
  cv::Mat prob = cv::Mat::zeros(100, 200, CV_32F);
  prob(cv::Rect(20, 10, 100, 20)).setTo(0.5f);  // above the pixel threshold, below the box threshold
  prob(cv::Rect(150, 80, 2, 2)).setTo(0.99f);   // too small
  DbStats stats;
  EXPECT_TRUE(db_boxes(prob, DbParams{}, 1, 1, 200, 100, &stats).empty());
  EXPECT_EQ(stats.boxes, 0);
  EXPECT_EQ(stats.too_thin, 1);
  DbParams lenient;
  lenient.box_threshold = 0.4f;
  EXPECT_EQ(db_boxes(prob, lenient, 1, 1, 200, 100).size(), 1u);
}

TEST(DbBoxesTest, FollowsRotatedText) {
  cv::Mat prob = cv::Mat::zeros(200, 300, CV_32F);
  const cv::RotatedRect line({150, 100}, {180, 20}, 10);  // 10° tilt
  cv::Point2f p[4];
  line.points(p);
  std::vector<cv::Point> poly;
  for (auto& q : p) poly.emplace_back(cvRound(q.x), cvRound(q.y));
  cv::fillConvexPoly(prob, poly, cv::Scalar(0.95));
  const auto lines = db_boxes(prob, DbParams{}, 1, 1, 300, 200);
  ASSERT_EQ(lines.size(), 1u);
  const Quad& box = lines[0].box;
  const float angle = std::atan2(box[1].y - box[0].y, box[1].x - box[0].x) * 180 / CV_PI;
  EXPECT_NEAR(angle, 10, 1.5);
  const float d = 180 * 20 * 1.5f / 400;
  EXPECT_NEAR(width_of(box), 180 + 2 * d, 4);
  EXPECT_NEAR(height_of(box), 20 + 2 * d, 4);
}

TEST(DbBoxesTest, TextTooSmallWhenThinSpecksOutnumberLines) {
  // A newspaper page at 960 px: most of its text only specks.
  EXPECT_TRUE(text_too_small({.boxes = 51, .too_thin = 175}));
  EXPECT_TRUE(text_too_small({.boxes = 66, .too_thin = 47}));
  // Receipts and pages of readable-sized text: a few specks per ten lines.
  EXPECT_FALSE(text_too_small({.boxes = 60, .too_thin = 18}));
  EXPECT_FALSE(text_too_small({.boxes = 131, .too_thin = 58}));
  // Too few specks to say anything (a small image).
  EXPECT_FALSE(text_too_small({.boxes = 2, .too_thin = 10}));
}

TEST(DetectorMapTest, ScalesDownToTheLongestSideInMultiplesOf32) {
  EXPECT_EQ(detector_map_size({2227, 3514}, 960), cv::Size(608, 960));
  EXPECT_EQ(detector_map_size({2048, 1448}, 1600), cv::Size(1600, 1120));
  EXPECT_EQ(detector_map_size({400, 300}, 960), cv::Size(416, 288));  // scale 1, sides rounded
  EXPECT_EQ(detector_map_size({3000, 10}, 960), cv::Size(960, 32));
}

// Every plan: tiles inside the map, sides multiples of 32, area within the limit, owned parts
// splitting the map exactly, each owned part at least half the overlap away from its tile's
// inner edges (so neighbours overlap by at least the overlap, the seam in the middle).
void expect_valid_plan(cv::Size map, int64_t max_area, int overlap) {
  SCOPED_TRACE(std::to_string(map.width) + "x" + std::to_string(map.height));
  const std::vector<DetTile> tiles = plan_tiles(map, max_area, overlap);
  ASSERT_FALSE(tiles.empty());
  cv::Mat owners = cv::Mat::zeros(map, CV_32S);
  for (const DetTile& t : tiles) {
    EXPECT_EQ(t.area & cv::Rect({0, 0}, map), t.area);
    EXPECT_EQ(t.area.width % 32, 0);
    EXPECT_EQ(t.area.height % 32, 0);
    EXPECT_LE(static_cast<int64_t>(t.area.area()), max_area);
    EXPECT_EQ(t.owned & t.area, t.owned);
    if (t.owned.x > 0) {
      EXPECT_GE(t.owned.x - t.area.x, overlap / 2);
    }
    if (t.owned.y > 0) {
      EXPECT_GE(t.owned.y - t.area.y, overlap / 2);
    }
    if (t.owned.br().x < map.width) {
      EXPECT_GE(t.area.br().x - t.owned.br().x, overlap / 2);
    }
    if (t.owned.br().y < map.height) {
      EXPECT_GE(t.area.br().y - t.owned.br().y, overlap / 2);
    }
    owners(t.owned) += 1;
  }
  double min_owners = 0, max_owners = 0;
  cv::minMaxLoc(owners, &min_owners, &max_owners);
  EXPECT_EQ(min_owners, 1);
  EXPECT_EQ(max_owners, 1);
}

TEST(PlanTilesTest, CoversTheMapWithOverlappingTilesWithinTheArea) {
  const int64_t area = 960 * 960;
  for (const cv::Size map : {cv::Size(1600, 1120), cv::Size(1120, 1600), cv::Size(1600, 1600), cv::Size(1024, 1024),
                             cv::Size(4096, 2048), cv::Size(320, 4096), cv::Size(64, 32)})
    expect_valid_plan(map, area, kDetTileOverlap);
  expect_valid_plan({640, 480}, 128 * 128, 32);
}

TEST(PlanTilesTest, AMapThatFitsIsOneTile) {
  const auto tiles = plan_tiles({960, 672}, 960 * 960, kDetTileOverlap);
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0].area, cv::Rect(0, 0, 960, 672));
  EXPECT_EQ(tiles[0].owned, tiles[0].area);
}

TEST(PlanTilesTest, FewestPixelsToRun) {
  // 1600 x 1120 in tiles of at most 960²: three 608 x 1120 tiles (2.04 Mpx) beat four 864 x 608
  // ones (2.10 Mpx).
  const auto tiles = plan_tiles({1600, 1120}, 960 * 960, kDetTileOverlap);
  ASSERT_EQ(tiles.size(), 3u);
  for (const auto& t : tiles) EXPECT_EQ(t.area.size(), cv::Size(608, 1120));
}

// A stand-in detector that, like the real one, cannot see text near its input's edges: dark
// pixels are text except within 24 px of the tile's border.
cv::Mat detector_blind_at_edges(const cv::Mat& tile) {
  cv::Mat grey, probability;
  cv::cvtColor(tile, grey, cv::COLOR_BGR2GRAY);
  cv::Mat(grey < 128).convertTo(probability, CV_32F, 0.95 / 255);
  constexpr int kBlind = 24;
  probability.rowRange(0, kBlind).setTo(0.0f);
  probability.rowRange(tile.rows - kBlind, tile.rows).setTo(0.0f);
  probability.colRange(0, kBlind).setTo(0.0f);
  probability.colRange(tile.cols - kBlind, tile.cols).setTo(0.0f);
  return probability;
}

TEST(TiledProbabilityTest, LineAcrossSeamsIsOneBox) {
  // 1600 x 1120 in at most 608 x 1120 tiles: seams at x = 552 and 1048.
  cv::Mat image(1120, 1600, CV_8UC3, cv::Scalar::all(255));
  image(cv::Rect(300, 500, 1000, 16)).setTo(cv::Scalar::all(0));    // crosses both seams
  image(cv::Rect(100, 800, 1400, 16)).setTo(cv::Scalar::all(0));    // and another
  int calls = 0;
  const cv::Mat probability = tiled_probability(image, 960 * 960, kDetTileOverlap, [&](const cv::Mat& tile) {
    ++calls;
    return detector_blind_at_edges(tile);
  });
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(probability.size(), image.size());
  DbStats stats;
  const auto lines = db_boxes(probability, DbParams{}, 1, 1, image.cols, image.rows, &stats);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(stats.too_thin, 0);
  for (const DetectedLine& line : lines) {
    const Quad& box = line.box;
    const bool upper = box[0].y < 650;
    EXPECT_NEAR(box[0].x, upper ? 300 : 100, 16);
    EXPECT_NEAR(box[1].x, upper ? 1300 : 1500, 16);
  }
  // The whole map came from the tiles' insides: no blind band is left in the line.
  EXPECT_GT(probability.at<float>(508, 552), 0.9f);
  EXPECT_GT(probability.at<float>(508, 1048), 0.9f);
}

TEST(TiledProbabilityTest, RejectsAMapOfTheWrongSize) {
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar::all(255));
  EXPECT_THROW(tiled_probability(image, 64 * 64, 32, [](const cv::Mat&) { return cv::Mat(32, 32, CV_32F); }),
               std::invalid_argument);
}

TEST(UnclipTest, OffsetsEveryEdgeByTheDistance) {
  const std::vector<cv::Point2f> square = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const auto grown = offset_convex_polygon(square, 2);
  ASSERT_EQ(grown.size(), 4u);
  EXPECT_NEAR(cv::contourArea(grown), 14 * 14, 1e-3);
  EXPECT_NEAR(grown[0].x, -2, 1e-4);
  EXPECT_NEAR(grown[0].y, -2, 1e-4);
  // Same in the other winding and rotated by 30°.
  std::vector<cv::Point2f> rotated;
  for (auto it = square.rbegin(); it != square.rend(); ++it) {
    const float a = static_cast<float>(CV_PI / 6);
    rotated.emplace_back(it->x * std::cos(a) - it->y * std::sin(a), it->x * std::sin(a) + it->y * std::cos(a));
  }
  EXPECT_NEAR(cv::contourArea(offset_convex_polygon(rotated, 2)), 14 * 14, 1e-2);
  // A triangle grows by perimeter*d + the corner wedges (miter join: strictly more than round).
  const std::vector<cv::Point2f> triangle = {{0, 0}, {30, 0}, {0, 40}};
  const double area = cv::contourArea(offset_convex_polygon(triangle, 1));
  EXPECT_GT(area, 600 + 120 * 1 + CV_PI);
  EXPECT_LT(area, 600 + 120 * 1 + 20);
  // DB's distance: area * ratio / perimeter = 100 * 1.5 / 40.
  EXPECT_NEAR(cv::contourArea(unclip(square, 1.5f)), std::pow(10 + 2 * 3.75, 2), 1e-2);
}

TEST(CornersTest, OrdersAndRotates) {
  const cv::Point2f pts[4] = {{50, 30}, {10, 32}, {12, 10}, {48, 8}};
  const Quad q = order_corners(pts);
  EXPECT_EQ(q[0].x, 12);  // TL
  EXPECT_EQ(q[1].x, 48);  // TR
  EXPECT_EQ(q[2].x, 50);  // BR
  EXPECT_EQ(q[3].x, 10);  // BL
  const Quad turned = rotate_quad(q, 90, 100, 60);  // now in a 60 x 100 image
  EXPECT_NEAR(turned[0].x, 60 - 32, 1e-4);           // BL (10,32) -> (28,10): new top-left
  EXPECT_NEAR(turned[0].y, 10, 1e-4);
  const Quad back = rotate_quad(turned, 270, 60, 100);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(back[i].x, q[i].x, 1e-4);
    EXPECT_NEAR(back[i].y, q[i].y, 1e-4);
  }
  const Quad flipped = rotate_quad(rotate_quad(q, 180, 100, 60), 180, 100, 60);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(flipped[i].x, q[i].x, 1e-4);
}

TEST(CropTest, WarpsQuadAndTurnsTallCrops) {
  cv::Mat image(100, 200, CV_8UC3, cv::Scalar::all(255));
  image(cv::Rect(40, 20, 60, 20)).setTo(cv::Scalar(0, 0, 255));
  const Quad wide = {Point{40, 20}, Point{100, 20}, Point{100, 40}, Point{40, 40}};
  const cv::Mat crop = crop_quad(image, wide);
  EXPECT_EQ(crop.cols, 60);
  EXPECT_EQ(crop.rows, 20);
  EXPECT_EQ(crop.at<cv::Vec3b>(10, 30), cv::Vec3b(0, 0, 255));
  const Quad tall = {Point{10, 10}, Point{30, 10}, Point{30, 90}, Point{10, 90}};
  const cv::Mat turned = crop_quad(image, tall);
  EXPECT_EQ(turned.cols, 80);
  EXPECT_EQ(turned.rows, 20);
}

TEST(CtcTest, CollapsesRepeatsDropsBlanksAndAveragesConfidence) {
  const std::vector<std::string> labels = {"", "a", "b", "中", " "};
  const int classes = 5;
  // frames: a a _ a b b _ 中 ' ' _
  const std::vector<int> best = {1, 1, 0, 1, 2, 2, 0, 3, 4, 0};
  const std::vector<float> peak = {0.9f, 0.7f, 0.99f, 0.8f, 0.6f, 0.9f, 0.95f, 0.7f, 0.5f, 0.9f};
  std::vector<float> probs(best.size() * classes, 0.0f);
  for (size_t t = 0; t < best.size(); ++t) {
    for (int c = 0; c < classes; ++c) probs[t * classes + c] = (1 - peak[t]) / (classes - 1);
    probs[t * classes + best[t]] = peak[t];
  }
  const auto r = ctc_greedy_decode(probs.data(), static_cast<int>(best.size()), classes, labels);
  EXPECT_EQ(r.text, "aab中");  // the trailing space class is trimmed; the confidence keeps its frame
  EXPECT_NEAR(r.confidence, (0.9f + 0.8f + 0.6f + 0.7f + 0.5f) / 5, 1e-5);
  const std::vector<float> blanks(3 * classes, 0.0f);
  std::vector<float> all_blank = blanks;
  for (int t = 0; t < 3; ++t) all_blank[t * classes] = 1;
  const auto empty = ctc_greedy_decode(all_blank.data(), 3, classes, labels);
  EXPECT_EQ(empty.text, "");
  EXPECT_EQ(empty.confidence, 0);
  // A space read between characters stays; leading ones (padding before a crop) go.
  const std::vector<int> spaced = {4, 0, 1, 4, 0, 2, 4};
  std::vector<float> spaced_probs(spaced.size() * classes, 0.0f);
  for (size_t t = 0; t < spaced.size(); ++t) spaced_probs[t * classes + spaced[t]] = 1;
  EXPECT_EQ(ctc_greedy_decode(spaced_probs.data(), static_cast<int>(spaced.size()), classes, labels).text, "a b");
}

// Frames emitting the given labels at the given frames, blank elsewhere; blank frames give the
// space class (the last label) probability `space_p`.
std::vector<float> frames_with(const std::vector<std::pair<int, int>>& label_at_frame, int frames, int classes,
                               float space_p = 0.1f) {
  std::vector<float> probs(static_cast<size_t>(frames) * classes, 0.0f);
  for (int t = 0; t < frames; ++t) {
    probs[static_cast<size_t>(t) * classes] = 1 - space_p;
    probs[static_cast<size_t>(t) * classes + classes - 1] = space_p;
  }
  for (auto [label, t] : label_at_frame) {
    probs[static_cast<size_t>(t) * classes] = 0;
    probs[static_cast<size_t>(t) * classes + classes - 1] = 0;
    probs[static_cast<size_t>(t) * classes + label] = 1;
  }
  return probs;
}

TEST(CtcTest, RestoresWordBreaksFromWideGapsBetweenLatinCharacters) {
  const std::vector<std::string> labels = {"", "S", "D", "N", "B", "H", "中", "文", " "};
  // "SDN BHD": pitch 3 frames inside words, a 7-frame gap between them.
  const auto probs = frames_with({{1, 0}, {2, 3}, {3, 6}, {4, 13}, {5, 16}, {2, 19}}, 22, 9);
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 22, 9, labels, 1.6f).text, "SDN BHD");
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 22, 9, labels, 0).text, "SDNBHD");  // off by default
  // The same gap without any space probability (a wide capital, "T otal") is no word break.
  const auto no_evidence = frames_with({{1, 0}, {2, 3}, {3, 6}, {4, 13}, {5, 16}, {2, 19}}, 22, 9, 0.0f);
  EXPECT_EQ(ctc_greedy_decode(no_evidence.data(), 22, 9, labels, 1.6f).text, "SDNBHD");
  // Even spacing: no break. CJK neighbours never get one (PaddleOCR writes them unspaced).
  const auto even = frames_with({{1, 0}, {2, 3}, {3, 6}, {4, 9}, {5, 12}}, 14, 9);
  EXPECT_EQ(ctc_greedy_decode(even.data(), 14, 9, labels, 1.6f).text, "SDNBH");
  const auto cjk = frames_with({{6, 0}, {7, 3}, {6, 6}, {7, 14}, {6, 17}}, 19, 9);
  EXPECT_EQ(ctc_greedy_decode(cjk.data(), 19, 9, labels, 1.6f).text, "中文中文中");
  // A space the model emitted itself is kept and not doubled.
  const auto spaced = frames_with({{1, 0}, {2, 3}, {8, 6}, {3, 12}, {4, 15}, {5, 18}}, 20, 9);
  EXPECT_EQ(ctc_greedy_decode(spaced.data(), 20, 9, labels, 1.6f).text, "SD NBH");
}

TEST(CtcTest, WordGapsDependOnTheCharactersAround) {
  const std::vector<std::string> labels = {"", "(", ")", ".", ":", "3", "5", "R", "M", "T", "E", "L", " "};
  const int classes = static_cast<int>(labels.size());
  const auto decode = [&](const std::vector<std::pair<int, int>>& at, int frames) {
    const auto probs = frames_with(at, frames, classes, 0.05f);
    return ctc_greedy_decode(probs.data(), frames, classes, labels, 1.2f).text;
  };
  // Pitch 3 frames, then a 7-frame gap: a space, except just inside brackets.
  EXPECT_EQ(decode({{7, 0}, {8, 3}, {9, 6}, {10, 13}}, 16), "RMT E");
  EXPECT_EQ(decode({{1, 0}, {7, 3}, {8, 6}, {2, 13}}, 16), "(RM)");
  EXPECT_EQ(decode({{1, 0}, {7, 7}, {8, 10}, {9, 13}}, 16), "(RMT");
  EXPECT_EQ(decode({{7, 0}, {1, 3}, {8, 6}, {9, 13}}, 16), "R(M T");
  // Pitch 4 frames; 4.5 frames after a colon (the colon's own frame is narrow): a space after a
  // label's colon, none in a time or between two other characters.
  EXPECT_EQ(decode({{9, 0}, {10, 4}, {11, 8}, {4, 12}, {5, 16}, {5, 17}, {6, 21}}, 24), "TEL: 35");
  EXPECT_EQ(decode({{5, 0}, {6, 4}, {5, 8}, {4, 12}, {5, 16}, {5, 17}, {6, 21}}, 24), "353:35");
  EXPECT_EQ(decode({{9, 0}, {10, 4}, {11, 8}, {10, 12}, {5, 16}, {5, 17}, {6, 21}}, 24), "TELE35");
}

TEST(CtcTest, ASpaceTheModelNearlyEmittedIsABreakAtAnyGap) {
  const std::vector<std::string> labels = {"", "T", "A", "X", "I", "N", " "};
  const int classes = static_cast<int>(labels.size());
  // "TAXIN" at an even 3-frame pitch; blank wins every frame between the letters.
  auto probs = frames_with({{1, 0}, {2, 3}, {3, 6}, {4, 9}, {5, 12}}, 14, classes, 0.05f);
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 14, classes, labels, 1.2f).text, "TAXIN");
  // The space class close behind blank in one frame between X and I: a word break there.
  probs[7 * classes] = 0.7f, probs[7 * classes + 6] = 0.3f;
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 14, classes, labels, 1.2f).text, "TAX IN");
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 14, classes, labels, 0).text, "TAXIN");  // restoring off
  // Never inside a run of Chinese characters.
  const std::vector<std::string> cjk = {"", "中", "文", "字", "体", "书", " "};
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 14, classes, cjk, 1.2f).text, "中文字体书");
}

TEST(CtcTest, FindsTheSpaceClassInAnyDictionary) {
  // A dictionary with its own space entry before other labels (newer PP-OCR sets), and one with none.
  const std::vector<std::string> with_space = {"", "S", " ", "D", "N", "B", "H"};
  EXPECT_EQ(space_class(with_space), 2);
  EXPECT_EQ(space_class({"", "a", "b"}), -1);
  // Space evidence read from class 2: "SDN BHD" restored with the gap rule.
  const int classes = 7;
  std::vector<float> probs(22 * classes, 0.0f);
  for (int t = 0; t < 22; ++t) probs[t * classes] = 0.9f, probs[t * classes + 2] = 0.1f;
  for (auto [label, t] : std::vector<std::pair<int, int>>{{1, 0}, {3, 3}, {4, 6}, {5, 13}, {6, 16}, {3, 19}}) {
    probs[t * classes] = probs[t * classes + 2] = 0;
    probs[t * classes + label] = 1;
  }
  const auto r = ctc_greedy_decode(probs.data(), 22, classes, with_space, 1.2f);
  EXPECT_EQ(r.text, "SDN BHD");
  ASSERT_EQ(r.words.size(), 2u);
  EXPECT_EQ(r.words[1].text, "BHD");
  // Without a space class there is no evidence for a break: the gap alone restores none.
  const std::vector<std::string> no_space = {"", "S", "x", "D", "N", "B", "H"};
  EXPECT_EQ(ctc_greedy_decode(probs.data(), 22, classes, no_space, 1.2f).text, "SDNBHD");
}

TEST(CtcTest, UnspacedScripts) {
  for (const char* c : {"中", "文", "の", "カ", "，", "１", "𠀀"}) EXPECT_TRUE(is_unspaced_script(c)) << c;
  for (const char* c : {"a", "Z", "7", ":", "é", "ß", "Я", "한", "ع"}) EXPECT_FALSE(is_unspaced_script(c)) << c;
}

TEST(CtcTest, WordsSplitAtSpacesAndBetweenScriptsWithFrameExtents) {
  const std::vector<std::string> labels = {"", "a", "b", "中", "文", " "};
  // "ab" at frames 0-1 and 3, a space class frame at 6, "ab" at 9 and 12, "中文" at 14 and 20.
  const auto probs = frames_with({{1, 0}, {1, 1}, {2, 3}, {5, 6}, {1, 9}, {2, 12}, {3, 14}, {4, 20}}, 24, 6, 0.0f);
  const auto r = ctc_greedy_decode(probs.data(), 24, 6, labels, 1.2f);
  EXPECT_EQ(r.text, "ab ab中文");
  ASSERT_EQ(r.words.size(), 3u);
  EXPECT_EQ(r.words[0].text, "ab");
  EXPECT_EQ(r.words[1].text, "ab");
  EXPECT_EQ(r.words[2].text, "中文");
  // Words are ordered, do not overlap, and each contains its characters' frames.
  EXPECT_LE(r.words[0].begin, 0.0f + 1e-6f);
  EXPECT_GE(r.words[0].end, 4.0f);
  EXPECT_LE(r.words[0].end, r.words[1].begin);
  EXPECT_LE(r.words[1].begin, 9.0f);
  EXPECT_GE(r.words[1].end, 13.0f);
  EXPECT_LE(r.words[1].end, r.words[2].begin);
  EXPECT_LE(r.words[2].begin, 14.0f);
  EXPECT_GE(r.words[2].end, 21.0f);
  EXPECT_LE(r.words[2].end, 24.0f);
}

// A word found at a fraction of the crop maps back onto the same pixels of the image, for wide
// and tall (turned) boxes, read as they are or upside down.
TEST(SubQuadTest, MapsCropFractionsBackToTheImage) {
  cv::Mat image(200, 300, CV_8UC3, cv::Scalar::all(255));
  image(cv::Rect(100, 40, 30, 20)).setTo(cv::Scalar(0, 0, 255));   // inside the wide box
  image(cv::Rect(210, 120, 20, 30)).setTo(cv::Scalar(0, 0, 255));  // inside the tall box
  const auto red_span = [](const cv::Mat& crop) {  // first and last red column, as fractions
    int first = crop.cols, last = -1;
    for (int x = 0; x < crop.cols; ++x)
      for (int y = 0; y < crop.rows; ++y)
        if (crop.at<cv::Vec3b>(y, x) == cv::Vec3b(0, 0, 255)) first = std::min(first, x), last = std::max(last, x);
    return std::pair{static_cast<float>(first) / crop.cols, static_cast<float>(last + 1) / crop.cols};
  };
  const Quad wide = {Point{40, 30}, Point{240, 30}, Point{240, 70}, Point{40, 70}};
  const Quad tall = {Point{200, 40}, Point{240, 40}, Point{240, 190}, Point{200, 190}};
  EXPECT_FALSE(crop_is_turned(wide));
  EXPECT_TRUE(crop_is_turned(tall));
  // The crops are cut from the boxes themselves, or from regions 10 px larger all round.
  const Quad wide_region = {Point{30, 20}, Point{250, 20}, Point{250, 80}, Point{30, 80}};
  const Quad tall_region = {Point{190, 30}, Point{250, 30}, Point{250, 200}, Point{190, 200}};
  for (bool grown : {false, true})
    for (bool flipped : {false, true}) {
      const Quad& wide_crop = grown ? wide_region : wide;
      cv::Mat crop = crop_quad(image, wide_crop);
      if (flipped) cv::rotate(crop, crop, cv::ROTATE_180);
      auto [from, to] = red_span(crop);
      Quad q = sub_quad(wide, wide_crop, from, to, false, flipped);
      EXPECT_NEAR(q[0].x, 100, 1.5) << flipped << grown;
      EXPECT_NEAR(q[1].x, 130, 1.5) << flipped << grown;
      EXPECT_NEAR(q[0].y, 30, 1e-3);
      EXPECT_NEAR(q[3].y, 70, 1e-3);
      const Quad& tall_crop = grown ? tall_region : tall;
      crop = crop_quad(image, tall_crop);
      if (flipped) cv::rotate(crop, crop, cv::ROTATE_180);
      std::tie(from, to) = red_span(crop);
      q = sub_quad(tall, tall_crop, from, to, true, flipped);
      EXPECT_NEAR(q[0].y, 120, 1.5) << flipped << grown;
      EXPECT_NEAR(q[3].y, 150, 1.5) << flipped << grown;
      EXPECT_NEAR(q[0].x, 200, 1e-3);
      EXPECT_NEAR(q[1].x, 240, 1e-3);
    }
}

TextLine line_at(const std::string& text, float x, float y, float w, float h, float slope = 0) {
  TextLine l;
  l.text = text;
  l.box = {Point{x, y}, Point{x + w, y + slope * w}, Point{x + w, y + h + slope * w}, Point{x, y + h}};
  return l;
}

TEST(ReadingOrderTest, RowsTopToBottomLeftToRight) {
  std::vector<TextLine> lines = {line_at("Total", 10, 200, 80, 20), line_at("4.50", 400, 203, 50, 20),
                                 line_at("Shop", 10, 10, 100, 24), line_at("Milk", 10, 100, 60, 20),
                                 line_at("1.20", 400, 98, 50, 20), line_at("x1", 200, 101, 30, 20)};
  const std::string text = assign_reading_order(lines);
  EXPECT_EQ(text, "Shop\nMilk x1 1.20\nTotal 4.50");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0].text, "Shop");
  EXPECT_EQ(lines[3].text, "1.20");
  EXPECT_EQ(lines[3].row, 1);
  EXPECT_EQ(lines[3].order, 3);
  EXPECT_EQ(lines[5].row, 2);
}

TEST(ReadingOrderTest, HandlesSkewedPage) {
  // 3° skew: the right end of each row is ~26 px lower than its left end, more than a line
  // height apart from a naive y sort, but rows are 40 px apart.
  const float s = std::tan(3 * static_cast<float>(CV_PI) / 180);
  std::vector<TextLine> lines;
  for (int r = 0; r < 4; ++r) {
    const float y = 20 + 40.0f * r;
    // (names built with append: GCC 12's -Wrestrict misfires on "L" + std::to_string(r))
    std::string left = "L", right = "R";
    left.append(std::to_string(r));
    right.append(std::to_string(r));
    lines.push_back(line_at(left, 10, y + s * 10, 150, 20, s));
    lines.push_back(line_at(right, 400, y + s * 400, 80, 20, s));
  }
  std::swap(lines[1], lines[6]);
  const std::string text = assign_reading_order(lines);
  EXPECT_EQ(text, "L0 R0\nL1 R1\nL2 R2\nL3 R3");
}

TEST(ReadingOrderTest, RightToLeftRowsReadFromTheRight) {
  // An Arabic line the detector cut into three pieces, with a page number on its left, above a
  // Latin row: the Arabic row reads right to left, the Latin one left to right.
  std::vector<TextLine> lines = {line_at("السلام", 400, 10, 120, 24), line_at("12", 10, 10, 30, 24),
                                 line_at("ورحمة الله", 40, 10, 150, 24), line_at("عليكم", 250, 12, 100, 24),
                                 line_at("Peace", 10, 60, 80, 24), line_at("be upon you", 120, 60, 200, 24)};
  const std::string text = assign_reading_order(lines);
  EXPECT_EQ(text, "السلام عليكم ورحمة الله 12\nPeace be upon you");
  EXPECT_EQ(lines[0].text, "السلام");
  EXPECT_EQ(lines[0].order, 0);
}

}  // namespace
}  // namespace edgeocr::ocr::detail
