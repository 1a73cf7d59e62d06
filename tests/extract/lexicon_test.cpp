#include "extract/lexicon.h"

#include <gtest/gtest.h>

#include <sstream>

namespace edgeocr::extract {
namespace {

Lexicon receipt_words() {
  Lexicon words;
  for (const char* value :
       {"UNIHAKKA INTERNATIONAL SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD", "SANYU STATIONERY SHOP",
        "SYARIKAT PERNIAGAAN GIN KEE", "NO 2A JALAN COCHRANE TAMAN MALURI 55100 KUALA LUMPUR",
        "LOT 1851-A & 1851-B, JALAN KPB 6, 43300 SERI KEMBANGAN, SELANGOR", "NO.53, JALAN BESAR, 45600 BATANG BERJUNTAI",
        "PERNIAGAAN ZHENG HUI", "INTERNATIONAL TRADING"})
    words.add(value);
  return words;
}

TEST(Lexicon, SplitsWordsTheReadingGlued) {
  auto words = receipt_words();
  EXPECT_EQ(words.repair("SANYUSTATIONERYSHOP"), "SANYU STATIONERY SHOP");
  EXPECT_EQ(words.repair("SYARIKATPERNIAGAAN GIN KEE"), "SYARIKAT PERNIAGAAN GIN KEE");
  EXPECT_EQ(words.repair("GARDENIA BAKERIES(KL)SDNBHD"), "GARDENIA BAKERIES(KL)SDN BHD");
  // A shop's own name is unknown, the word glued to it is not.
  EXPECT_EQ(words.repair("MEGAHKAKIINTERNATIONAL SDN BHD"), "MEGAHKAKI INTERNATIONAL SDN BHD");
  // A postcode glued to its town.
  EXPECT_EQ(words.repair("NO.53,JALAN BESAR,45600BATANG"), "NO.53,JALAN BESAR,45600 BATANG");
}

TEST(Lexicon, JoinsWordsTheReadingBroke) {
  auto words = receipt_words();
  EXPECT_EQ(words.repair("SANYU STA TIONERY SHOP"), "SANYU STATIONERY SHOP");
  EXPECT_EQ(words.repair("Taman Ma luri 55100"), "Taman MALURI 55100");
  // Two known words stay two words.
  EXPECT_EQ(words.repair("SDN BHD"), "SDN BHD");
}

TEST(Lexicon, ForgetsAValueItIsToldToRemove) {
  auto words = receipt_words();
  words.add("TANJONGMAS BOOKCENTRE");
  EXPECT_EQ(words.repair("TANJONGMAS"), "TANJONGMAS");
  words.remove("TANJONGMAS BOOKCENTRE");
  EXPECT_FALSE(words.contains("TANJONGMAS"));
  EXPECT_TRUE(words.contains("SANYU"));
}

TEST(Lexicon, UndoesDigitLetterConfusions) {
  auto words = receipt_words();
  EXPECT_EQ(words.repair("No 2A Ja1an Cochrane"), "No 2A JALAN Cochrane");
  EXPECT_EQ(words.repair("L0T 1851-A"), "LOT 1851-A");
  EXPECT_EQ(words.repair("PERNIAGAAN Z0NG"), "PERNIAGAAN Z0NG");
  words.add("AEON CO. (M) BHD");
  EXPECT_EQ(words.repair("AEON C0.(M) BHD SEKSYEN U5"), "AEON CO.(M) BHD SEKSYEN U5");
  EXPECT_EQ(words.repair("433OO SERI KEMBANGAN"), "43300 SERI KEMBANGAN");
  // Letters and digits that belong together are left alone.
  EXPECT_EQ(words.repair("JALAN SS21/39 UPTOWN3"), "JALAN SS21/39 UPTOWN3");
}

TEST(Lexicon, LeavesKnownWordsUnknownShortWordsAndChineseAlone) {
  auto words = receipt_words();
  EXPECT_EQ(words.repair("Kedai Kopi Lim"), "Kedai Kopi Lim");
  EXPECT_EQ(words.repair("星巴克 SANYUSTATIONERYSHOP"), "星巴克 SANYUSTATIONERYSHOP");
  EXPECT_EQ(Lexicon().repair("SANYUSTATIONERYSHOP"), "SANYUSTATIONERYSHOP");
}

TEST(Lexicon, WritesAndReadsBack) {
  auto words = receipt_words();
  std::stringstream text;
  words.write(text);
  auto back = Lexicon::read(text);
  EXPECT_TRUE(back.contains("STATIONERY"));
  EXPECT_FALSE(back.contains("stationery"));
  EXPECT_EQ(back.repair("SANYUSTATIONERYSHOP"), "SANYU STATIONERY SHOP");
  std::stringstream bad("words 2\nSHOP 1\n");
  EXPECT_THROW(Lexicon::read(bad), std::runtime_error);
}

TEST(FieldPunctuation, SpacesPunctuationAsKeyFieldsDo) {
  EXPECT_EQ(normalize_field_punctuation("GARDENIA BAKERIES(KL)SDN BHD"), "GARDENIA BAKERIES (KL) SDN BHD");
  EXPECT_EQ(normalize_field_punctuation("AEON CO.(M) BHD"), "AEON CO. (M) BHD");
  EXPECT_EQ(normalize_field_punctuation("MR. D.I.Y . ( KUCHAI ) SDN BHD"), "MR. D.I.Y. (KUCHAI) SDN BHD");
  // Full-width punctuation of the Chinese dictionary, in a Latin line.
  EXPECT_EQ(normalize_field_punctuation("NO 18，JALAN 2/16， SHAH ALAM"), "NO 18,JALAN 2/16, SHAH ALAM");
  EXPECT_EQ(normalize_field_punctuation("NO 290,JALAN AIR PANAS, SETAPAK ,53200"), "NO 290,JALAN AIR PANAS, SETAPAK ,53200");
  EXPECT_EQ(normalize_field_punctuation("星巴克（中国） ，"), "星巴克（中国） ，");
}

TEST(FieldPunctuation, SpacesAllCommasOfAValueThatSpacesSome) {
  EXPECT_EQ(space_commas("NO 290,JALAN AIR PANAS, SETAPAK ,53200"), "NO 290, JALAN AIR PANAS, SETAPAK, 53200");
  // A value that spaces none is printed that way; digit groups stay together.
  EXPECT_EQ(space_commas("12,JALAN TAMPOI 7/4,KAWASAN"), "12,JALAN TAMPOI 7/4,KAWASAN");
  EXPECT_EQ(space_commas("NO 18, 20,22, JALAN 1,234"), "NO 18, 20,22, JALAN 1,234");
}

TEST(KnownValues, GivesBackALabelledValueReadWithOtherPunctuation) {
  KnownValues known;
  known.add("NO 290, JALAN AIR PANAS, SETAPAK, 53200, KUALA LUMPUR.");
  known.add("NO 290, JALAN AIR PANAS, SETAPAK, 53200, KUALA LUMPUR.");
  known.add("NO 290, JALAN AIR PANAS. SETAPAK, 53200, KUALA LUMPUR");
  auto m = known.find("No 290. Jalan Air Panas. Setapak. 53200. Kuala Lumpur");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->value, "NO 290, JALAN AIR PANAS, SETAPAK, 53200, KUALA LUMPUR.");  // the most often labelled
  EXPECT_EQ(m->count, 2);
  // A page's own label left out: what a page of a new shop would see.
  auto left = known.find("NO 290 JALAN AIR PANAS SETAPAK 53200 KUALA LUMPUR", m->value);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->count, 1);
  KnownValues once;
  once.add("SANYU STATIONERY SHOP");
  EXPECT_TRUE(once.find("SANYU STATIONERY SHOP."));
  EXPECT_FALSE(once.find("SANYU STATIONERY SHOP.", "SANYU  STATIONERY SHOP"));
  EXPECT_FALSE(once.find("SANYU STATIONERY"));
  // The text form reads back the same.
  std::stringstream text;
  known.write(text);
  auto read = KnownValues::read(text);
  auto again = read.find("NO 290 JALAN AIR PANAS SETAPAK 53200 KUALA LUMPUR");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->value, m->value);
  EXPECT_EQ(again->count, 2);
  std::stringstream bad("values 1\nx ABCD\n");
  EXPECT_THROW(KnownValues::read(bad), std::runtime_error);
}

}  // namespace
}  // namespace edgeocr::extract
