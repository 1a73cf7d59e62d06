#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "eval/ocr_cache.h"
#include "ocr/json.h"

namespace edgeocr::eval {
namespace {

ocr::OcrResult random_result(std::mt19937& rng) {
  std::uniform_real_distribution<float> coord(0.0f, 2000.0f), conf(0.0f, 1.0f);
  ocr::OcrResult r;
  r.width = 1234;
  r.height = 2345;
  for (int i = 0; i < 20; ++i) {
    ocr::TextLine line;
    line.text = "line " + std::to_string(i) + " 总计";
    line.confidence = conf(rng);
    for (auto& corner : line.box) corner = {coord(rng), coord(rng)};
    line.row = i / 2;
    line.order = i;
    r.lines.push_back(line);
  }
  return r;
}

// Training reads fresh OCR through the cached form, so one trip through it must be final: a
// result read back from the cache and written again reads back the same.
TEST(OcrCache, OneRoundTripIsAFixedPoint) {
  std::mt19937 rng(7);
  const auto dir = std::filesystem::temp_directory_path() / ("edgeocr-ocr-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  OcrCache cache(dir);
  for (int n = 0; n < 5; ++n) {
    const ocr::OcrResult once = ocr_result_from_json(ocr::to_json(random_result(rng)), "test");
    cache.put("page", once);
    const auto back = cache.get("page");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(ocr::to_json(*back).dump(), ocr::to_json(once).dump());
    ASSERT_EQ(back->lines.size(), once.lines.size());
    for (size_t i = 0; i < once.lines.size(); ++i) {
      EXPECT_EQ(back->lines[i].confidence, once.lines[i].confidence);
      for (size_t c = 0; c < 4; ++c) {
        EXPECT_EQ(back->lines[i].box[c].x, once.lines[i].box[c].x);
        EXPECT_EQ(back->lines[i].box[c].y, once.lines[i].box[c].y);
      }
    }
  }
  EXPECT_FALSE(cache.get("missing").has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgeocr::eval
