// Large pages of small text with the real models: the detector's second, tiled pass at a finer
// scale (PipelineOptions::det_fine_max_side) finds the lines the 960 px pass loses, and a line
// crossing a seam between two tiles comes back once, whole.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ocr/pipeline.h"
#include "ocr/postprocess.h"
#include "ocr_test_util.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr {
namespace {

using testing::normalise;

const test::TextRenderer& renderer() {
  static const test::TextRenderer r;
  return r;
}

// Deterministic lines of ordinary English words, about `width` pixels long at `pixel_size`.
std::string sentence(uint32_t& seed, int width, int pixel_size) {
  static const std::vector<std::string> words = {
      "market", "river",  "station", "garden", "winter", "number", "people", "letter", "public", "report",
      "energy", "school", "harbour", "council", "plan",  "bridge", "summer", "price",  "paper",  "music",
      "island", "travel", "morning", "village", "water", "street", "museum", "office", "season", "north"};
  std::string line;
  while (true) {
    seed = seed * 1664525u + 1013904223u;
    const std::string& word = words[(seed >> 8) % words.size()];
    const std::string longer = line.empty() ? word : line + " " + word;
    if (!line.empty() && renderer().text_width(longer, pixel_size) > width) return line;
    line = longer;
  }
}

PipelineOptions options_with_fine_side(int fine_side) {
  PipelineOptions options;
  options.model_dir = test::model_dir();
  options.threads = 2;
  options.det_fine_max_side = fine_side;
  return options;
}

// Image x of each vertical seam between the tiles of the finer pass over an image of `size`.
std::vector<int> vertical_seams(cv::Size size, const PipelineOptions& options) {
  const cv::Size map = detail::detector_map_size(size, options.det_fine_max_side);
  std::vector<int> seams;
  for (const auto& tile : detail::plan_tiles(map, static_cast<int64_t>(options.det_max_side) * options.det_max_side,
                                             detail::kDetTileOverlap))
    if (tile.owned.x > 0) seams.push_back(tile.owned.x * size.width / map.width);
  std::sort(seams.begin(), seams.end());
  seams.erase(std::unique(seams.begin(), seams.end()), seams.end());
  return seams;
}

// A 2048 x 1448 landscape page (an A4 scan as decoded) in four columns of 14 px text set 1.2 em
// apart, as newspapers are: at 960 px the detector sees it 6.6 px high and runs the lines into
// each other. Two columns are centred on the seams between the tiles of the finer pass, so each
// of their lines crosses a seam.
test::Page small_text_page(const PipelineOptions& options) {
  const cv::Size size(2048, 1448);
  const std::vector<int> seams = vertical_seams(size, options);
  EXPECT_EQ(seams.size(), 2u) << "the finer pass should cut this page into three columns of tiles";
  constexpr int kPixelSize = 14, kColumnWidth = 240, kRows = 8;
  std::vector<int> columns = {60, size.width - 60 - kColumnWidth};  // left edges
  for (int seam : seams) columns.push_back(seam - kColumnWidth / 2);
  test::Page page;
  page.image = cv::Mat(size, CV_8UC3, cv::Scalar::all(255));
  const int row_step = kPixelSize * 12 / 10;
  uint32_t seed = 7;
  for (int x : columns)
    for (int row = 0; row < kRows; ++row) {
      const std::string text = sentence(seed, kColumnWidth, kPixelSize);
      page.lines.push_back(renderer().draw(page.image, text, {x, 80 + row * row_step}, kPixelSize));
    }
  return page;
}

bool crosses_a_seam(const test::DrawnLine& line, const std::vector<int>& seams) {
  return std::any_of(seams.begin(), seams.end(), [&](int x) { return line.box[0].x < x && line.box[1].x > x; });
}

// Result lines whose box centre lies inside the drawn line's box.
std::vector<const TextLine*> lines_on(const test::DrawnLine& drawn, const OcrResult& result) {
  std::vector<const TextLine*> on;
  for (const auto& line : result.lines) {
    const float cx = (line.box[0].x + line.box[2].x) / 2, cy = (line.box[0].y + line.box[2].y) / 2;
    if (cx >= drawn.box[0].x && cx <= drawn.box[2].x && cy >= drawn.box[0].y && cy <= drawn.box[2].y)
      on.push_back(&line);
  }
  return on;
}

struct Found {
  size_t lines = 0, found = 0, found_once = 0;
  double cer_sum = 0;  // over the lines found
};

Found score(const test::Page& page, const OcrResult& result) {
  Found f;
  for (const auto& drawn : page.lines) {
    ++f.lines;
    double best_iou = 0;
    for (const auto& line : result.lines) best_iou = std::max(best_iou, test::quad_iou(drawn.box, line.box));
    if (best_iou < 0.5) continue;
    ++f.found;
    const auto on = lines_on(drawn, result);
    if (on.size() != 1) continue;
    ++f.found_once;
    f.cer_sum += test::cer(normalise(drawn.text), normalise(on[0]->text));
  }
  return f;
}

ModelLibrary& models() {
  static ModelLibrary library;
  return library;
}

// The page and its reading with the default options, made once for the tests below.
struct DefaultReading {
  PipelineOptions options = options_with_fine_side(PipelineOptions{}.det_fine_max_side);
  test::Page page = small_text_page(options);
  OcrResult result = Pipeline(options, models()).run(page.image);
};
const DefaultReading& default_reading() {
  static const DefaultReading reading;
  return reading;
}

TEST(LargePageTest, SmallTextFoundOnlyByTheFinerPass) {
  const DefaultReading& reading = default_reading();
  Pipeline coarse_only(options_with_fine_side(0), models());
  const Found coarse = score(reading.page, coarse_only.run(reading.page.image));
  // Without the finer pass most of this text is lost: the page does exercise it.
  EXPECT_LT(coarse.found * 2, coarse.lines) << coarse.found << " of " << coarse.lines << " lines at 960 px";

  const Found fine = score(reading.page, reading.result);
  EXPECT_GE(fine.found * 100, fine.lines * 95) << fine.found << " of " << fine.lines << " lines";
  EXPECT_EQ(fine.found_once, fine.found) << "lines split or found twice";
  ASSERT_GT(fine.found_once, 0u);
  EXPECT_LE(fine.cer_sum / static_cast<double>(fine.found_once), 0.03);
}

TEST(LargePageTest, LineAcrossATileSeamFoundOnceAndWhole) {
  const DefaultReading& reading = default_reading();
  const std::vector<int> seams = vertical_seams(reading.page.image.size(), reading.options);
  size_t crossing = 0;
  for (const auto& drawn : reading.page.lines) {
    if (!crosses_a_seam(drawn, seams)) continue;
    ++crossing;
    const auto on = lines_on(drawn, reading.result);
    ASSERT_EQ(on.size(), 1u) << "\"" << drawn.text << "\" came back as " << on.size() << " lines";
    EXPECT_GE(test::quad_iou(drawn.box, on[0]->box), 0.5) << drawn.text;
    EXPECT_LE(test::cer(normalise(drawn.text), normalise(on[0]->text)), 0.1) << on[0]->text;
  }
  EXPECT_EQ(crossing, 16u);  // the two columns on the seams
}

}  // namespace
}  // namespace edgeocr::ocr
