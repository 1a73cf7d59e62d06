// Rows, blocks and key -> value pairing by position, including skewed pages.
#include <gtest/gtest.h>

#include "extract/layout.h"
#include "synthetic.h"

namespace edgeocr::extract {
namespace {

using testing::make_page;

int line_with(const Layout& layout, const std::string& text) {
  for (size_t i = 0; i < layout.lines.size(); ++i)
    if (layout.lines[i].text == text) return static_cast<int>(i);
  return -1;
}

std::optional<KeyValue> value_of(const Layout& layout, const std::string& key_line_text,
                                 const std::string& key) {
  int k = line_with(layout, key_line_text);
  if (k < 0) return std::nullopt;
  size_t end = find_key(layout.lines[static_cast<size_t>(k)].text, key);
  if (end == std::string::npos) return std::nullopt;
  return find_value(layout, k, end, [](const std::string& v) { return !v.empty(); });
}

TEST(Layout, RowsAndBlocks) {
  auto page = make_page({{"SHOP", 100, 10, 200, 30},
                         {"TOTAL", 50, 400, 100, 30},
                         {"12.50", 600, 405, 80, 30},
                         {"CASH", 50, 440, 80, 30},
                         {"20.00", 600, 442, 80, 30}});
  Layout layout = build_layout(page);
  ASSERT_EQ(layout.rows.size(), 3u);
  EXPECT_EQ(layout.row_text(1), "TOTAL 12.50");
  EXPECT_EQ(layout.row_text(2), "CASH 20.00");
  ASSERT_EQ(layout.blocks.size(), 2u);  // the big gap under SHOP separates blocks
  EXPECT_EQ(layout.blocks[1].size(), 2u);
}

TEST(Layout, ValueOnSameLineRightAndBelow) {
  auto page = make_page({{"INVOICE NO: INV-001", 50, 50, 300, 30},
                         {"DATE", 50, 100, 80, 30},
                         {"29/12/2017", 400, 102, 150, 30},
                         {"发票号码", 50, 200, 120, 30},
                         {"No. 8812345", 55, 240, 160, 30},
                         {"OTHER", 700, 300, 80, 30}});
  Layout layout = build_layout(page);
  auto same = value_of(layout, "INVOICE NO: INV-001", "INVOICE NO");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->value, "INV-001");
  auto right = value_of(layout, "DATE", "DATE");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->value, "29/12/2017");
  auto below = value_of(layout, "发票号码", "发票号码");
  ASSERT_TRUE(below);
  EXPECT_EQ(below->value, "No. 8812345");
}

TEST(Layout, SkewedPageStillPairsRightValue) {
  // 4 degrees of skew moves the right-hand value 40 px down relative to its key: more than a
  // line height, so only deskewing keeps them on one row.
  auto page = make_page({{"HEADER LINE OF THE RECEIPT", 50, 20, 600, 30},
                         {"SUBTOTAL", 50, 300, 150, 30},
                         {"45.00", 700, 300, 90, 30},
                         {"TOTAL", 50, 345, 100, 30},
                         {"47.70", 700, 345, 90, 30}},
                        4.0f);
  Layout layout = build_layout(page);
  EXPECT_NEAR(layout.skew_radians, 4.0 * 3.14159265 / 180.0, 0.01);
  auto total = value_of(layout, "TOTAL", "TOTAL");
  ASSERT_TRUE(total);
  EXPECT_EQ(total->value, "47.70");
  auto sub = value_of(layout, "SUBTOTAL", "SUBTOTAL");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->value, "45.00");
}

TEST(Layout, FindKeyRespectsWordBoundaries) {
  EXPECT_EQ(find_key("TAXI FARE", "TAX"), std::string::npos);
  EXPECT_NE(find_key("TAX 0.60", "TAX"), std::string::npos);
  EXPECT_NE(find_key("Invoice  No.: 1", "invoice no"), std::string::npos);
  size_t begin = 0;
  size_t end = find_key("合计：¥36.8", "合计", &begin);
  EXPECT_EQ(begin, 0u);
  EXPECT_EQ(end, std::string("合计").size());
}

TEST(Layout, EmptyAndDegenerateInput) {
  ocr::OcrResult empty;
  Layout layout = build_layout(empty);
  EXPECT_TRUE(layout.lines.empty());
  auto page = make_page({{"", 0, 0, 0, 0}, {"X", 10, 10, 0, 0}});
  Layout l2 = build_layout(page);  // zero-size boxes must not crash
  EXPECT_EQ(l2.lines.size(), 1u);
}

}  // namespace
}  // namespace edgeocr::extract
