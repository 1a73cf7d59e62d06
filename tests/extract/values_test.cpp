// Typed value parsers: money, dates, times, phones, tax ids, quantity x price; malformed input.
#include <gtest/gtest.h>

#include "extract/values.h"

namespace edgeocr::extract {
namespace {

TEST(ParseMoney, CurrenciesAndSeparators) {
  auto m = parse_money("¥36.8");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 36.8);
  EXPECT_EQ(m->currency_code, "CNY");
  EXPECT_EQ(m->currency_symbol, "¥");
  EXPECT_EQ(m->normalized, "36.80");
  EXPECT_EQ(m->number_text, "36.8");

  m = parse_money("RM 1,234.50");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 1234.5);
  EXPECT_EQ(m->currency_code, "MYR");
  EXPECT_EQ(m->printed, "RM 1,234.50");

  m = parse_money("1.234,56 €");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 1234.56);
  EXPECT_EQ(m->currency_code, "EUR");

  m = parse_money("36.8元");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 36.8);
  EXPECT_EQ(m->currency_symbol, "元");

  m = parse_money("￥1,000");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 1000);

  m = parse_money("$8.20");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->currency_code, "USD");

  m = parse_money("12,50");  // comma decimal
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, 12.5);

  m = parse_money("-5.00");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, -5);
  m = parse_money("(5.00)");
  ASSERT_TRUE(m);
  EXPECT_DOUBLE_EQ(m->amount, -5);
}

TEST(ParseMoney, RejectsMalformed) {
  EXPECT_FALSE(parse_money(""));
  EXPECT_FALSE(parse_money("abc"));
  EXPECT_FALSE(parse_money("12.3.4"));
  EXPECT_FALSE(parse_money("1,23,4"));
  EXPECT_FALSE(parse_money("RM"));
  EXPECT_FALSE(parse_money("12.50 13.50"));
  EXPECT_FALSE(parse_money("1.2345"));
  EXPECT_FALSE(parse_number("1,2345.00"));
  EXPECT_FALSE(parse_number("--3"));
  EXPECT_FALSE(parse_number("12345678901234567.00"));
}

TEST(FindMoney, SkipsDatesTimesPercentagesAndIds) {
  auto found = find_money("25/12/2018 8:13:39 PM GST @6% 0.57 A4 PAPER RM12.90");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].number_text, "0.57");
  EXPECT_EQ(found[1].printed, "RM12.90");
  EXPECT_TRUE(find_money("QTY 2").empty());
  EXPECT_EQ(find_money("QTY 2", /*allow_integers=*/true).size(), 1u);
  EXPECT_TRUE(find_money("FORM12").empty());
}

TEST(FindDate, ChineseAndEnglishFormats) {
  struct Case {
    const char* text;
    const char* printed;
    const char* iso;
  } cases[] = {
      {"日期: 2026/1/15", "2026/1/15", "2026-01-15"},
      {"2026年1月15日 14:05", "2026年1月15日", "2026-01-15"},
      {"DATE 15-01-2026", "15-01-2026", "2026-01-15"},
      {"15 JAN 2026", "15 JAN 2026", "2026-01-15"},
      {"DATE: 29/12/2017 10:20", "29/12/2017", "2017-12-29"},
      {"12/03/18", "12/03/18", "2018-03-12"},
      {"Jan 15, 2026", "Jan 15, 2026", "2026-01-15"},
      {"2018-03-23 13:45", "2018-03-23", "2018-03-23"},
      {"05 MAR 2018 18:24", "05 MAR 2018", "2018-03-05"},
      {"12/31/2025", "12/31/2025", "2025-12-31"},  // month-first only when day-first is impossible
      {"DATE:29/12/201710:31", "29/12/2017", "2017-12-29"},  // OCR dropped the space
      {"05MAR201818:24", "05MAR2018", "2018-03-05"},
  };
  for (const auto& c : cases) {
    auto d = find_date(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(d->printed, c.printed) << c.text;
    EXPECT_EQ(d->iso, c.iso) << c.text;
  }
}

TEST(FindDate, RejectsInvalid) {
  EXPECT_FALSE(find_date("31/02/2018"));
  EXPECT_FALSE(find_date("2026年13月1日"));
  EXPECT_FALSE(find_date("29/02/2019"));
  EXPECT_FALSE(find_date("TOTAL 12.50"));
  EXPECT_FALSE(find_date("INV 12345678"));
  EXPECT_TRUE(find_date("29/02/2020"));
}

TEST(FindTime, ClockFormats) {
  auto t = find_time("25/12/2018 8:13:39 PM");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->normalized, "20:13:39");
  t = find_time("01:34PM");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->normalized, "13:34");
  t = find_time("时间 14时05分");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->normalized, "14:05");
  EXPECT_FALSE(find_time("25:70"));
  EXPECT_FALSE(find_time("13:30 PM"));
}

TEST(FindPhone, GroupsAndPlus) {
  auto p = find_phone("T: 03-2093 7358 | F: 03-2093 7359");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->normalized, "0320937358");
  p = find_phone("电话 +86 138 0013 8000");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->normalized, "+8613800138000");
  EXPECT_FALSE(find_phone("12345"));
  EXPECT_FALSE(find_phone("29/12/2017"));
}

TEST(FindTaxId, LabelsAndUnifiedCode) {
  auto t = find_tax_id("(GST REG NO 000243941376)");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "000243941376");
  t = find_tax_id("GST ID. NO : 000181747712");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "000181747712");
  t = find_tax_id("税号：91110108MA01ABCD2X");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "91110108MA01ABCD2X");
  t = find_tax_id("91310000MA1FL4XQ3T");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "91310000MA1FL4XQ3T");
  EXPECT_FALSE(find_tax_id("GST @6% 0.57"));
  EXPECT_FALSE(find_tax_id("TAX INVOICE"));
}

TEST(FindQuantityPrice, CommonTillFormats) {
  auto q = find_quantity_price("2 x 3.50 7.00");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->quantity, 2);
  EXPECT_DOUBLE_EQ(q->unit_price, 3.5);
  ASSERT_TRUE(q->amount);
  EXPECT_DOUBLE_EQ(*q->amount, 7);

  q = find_quantity_price("@5 X RM 12.50");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->quantity, 5);
  EXPECT_DOUBLE_EQ(q->unit_price, 12.5);

  q = find_quantity_price("7.90*3 23.70 Z");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->quantity, 3);
  EXPECT_DOUBLE_EQ(q->unit_price, 7.9);
  EXPECT_DOUBLE_EQ(*q->amount, 23.7);

  q = find_quantity_price("拿铁 2 × ¥3.5 = ¥7.0");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->quantity, 2);
  EXPECT_DOUBLE_EQ(q->unit_price, 3.5);
  EXPECT_DOUBLE_EQ(*q->amount, 7);

  q = find_quantity_price("数量: 3 单价: 12.5");
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->quantity, 3);
  EXPECT_DOUBLE_EQ(q->unit_price, 12.5);

  EXPECT_FALSE(find_quantity_price("TOTAL 12.50"));
  EXPECT_FALSE(find_quantity_price("0 x 3.50"));
}

TEST(TextHelpers, Utf8AndSpaces) {
  EXPECT_EQ(collapse_spaces("  a \t b  "), "a b");
  EXPECT_EQ(to_utf8(to_u32("总金额 ¥36.8")), "总金额 ¥36.8");
  EXPECT_EQ(to_u32("\xFF"), std::u32string(1, 0xFFFD));
  EXPECT_TRUE(contains_cjk("合计 12"));
  EXPECT_FALSE(contains_cjk("TOTAL 12"));
}

}  // namespace
}  // namespace edgeocr::extract
